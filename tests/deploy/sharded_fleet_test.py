#!/usr/bin/env python3
"""One fleet in three processes: shards against one mosquitto, one Prometheus, one merge.

Run by ctest (label `prometheus`, see tests/CMakeLists.txt):

    sharded_fleet_test.py --lampi-fleet build/fleet/lampi-fleet --mosquitto /usr/sbin/mosquitto \
        --mosquitto-sub /usr/bin/mosquitto_sub --prometheus /usr/bin/prometheus \
        --promtool /usr/bin/promtool --repo .

Three `lampi-fleet run --shard-count 3` processes share a 30-lamp fleet, each told its
index a different way (--shard-index, LAMPI_FLEET_SHARD_INDEX, Kubernetes'
JOB_COMPLETION_INDEX). They bridge to one mosquitto started here; Prometheus scrapes all
three. Checked:
  * the broker saw every one of the fleet's 30 bridge client ids connect, each exactly once
    (no two shards share a device ID), and an observer subscribed to devices/# heard from
    every one of the 30 devices and no other;
  * the dashboard's own expressions over the three targets give the fleet: lamps bridged /
    configured 30 / 30, connects 30, and the per-worker panel shows three `shard` labels
    whose series add up to 30;
  * each shard ends OK; `lampi-fleet merge` of their summaries ends OK with lamps, connects,
    every topic's requests and histogram buckets the sums of the shards', and percentiles
    read off the summed buckets (not averaged); its HTML report lists the shards.

Every wait is bounded, every child is killed at the end (PR_SET_PDEATHSIG too), only
127.0.0.1 is used. Python standard library only; the helpers are dashboard_test.py's.
"""

import argparse
import collections
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashboard_test as dt  # noqa: E402  (spawn, stop, free_port, queries, the dashboard)

LAMPS = 30
SHARDS = 3
DEVICE_ID_BASE = 0x1E0000000000
DURATION_S = 30
SAMPLES_WANTED = 10
ARGS = None


def device_ids():
    return {"%012x" % (DEVICE_ID_BASE + i) for i in range(LAMPS)}


def percentile_from_buckets(buckets, count, max_us, q):
    """LatencyHistogram::percentile: nearest rank, the bucket's upper edge, at most max."""
    rank = max(1, math.ceil(q * count * (1 - 4 * sys.float_info.epsilon)))
    seen = 0
    for upper, n in sorted(buckets.items()):
        seen += n
        if seen >= rank:
            return min(upper, max_us)
    return max_us


class ShardedFleetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="lampi-sharded-test-")
        dt.SCRATCH.append(cls.tmp)
        cls.addClassCleanup(cls._cleanup)
        cls.children = []

        # The broker, logging every connect to a folder its (unprivileged) user can write.
        cls.broker_port = dt.free_port()
        broker_dir = os.path.join(cls.tmp, "broker")
        os.chmod(cls.tmp, 0o711)  # mosquitto drops root for its own user, who must get in
        os.mkdir(broker_dir)
        os.chmod(broker_dir, 0o777)
        cls.broker_log = os.path.join(broker_dir, "mosquitto.log")
        conf = os.path.join(cls.tmp, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\nlog_dest file %s\n"
                    "connection_messages true\nmax_queued_messages 100000\n"
                    % (cls.broker_port, cls.broker_log))
        cls.broker = cls._spawn([ARGS.mosquitto, "-c", conf], "mosquitto.out")
        cls._wait("mosquitto listening", 15,
                  lambda: "Opening ipv4 listen socket" in dt.tail(cls.broker_log, 50), cls.broker,
                  cls.broker_log)
        cls.observer_out = os.path.join(cls.tmp, "observer.txt")
        cls.observer = cls._spawn([ARGS.mosquitto_sub, "-h", "127.0.0.1", "-p",
                                   str(cls.broker_port), "-i", "observer", "-q", "1", "-v",
                                   "-t", "devices/#"], "observer.txt")

        # Prometheus over the three shards' endpoints.
        cls.metrics_ports = []
        while len(cls.metrics_ports) < SHARDS:
            p = dt.free_port()
            if p not in cls.metrics_ports and p != cls.broker_port:
                cls.metrics_ports.append(p)
        cls.prom_port = dt.free_port()
        cls.prom_url = "http://127.0.0.1:%d" % cls.prom_port
        prom_conf = os.path.join(cls.tmp, "prometheus.yml")
        with open(prom_conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: lampi-fleet\n    static_configs:\n"
                    "      - targets: [%s]\n"
                    % ", ".join("'127.0.0.1:%d'" % p for p in cls.metrics_ports))
        cls.prom = cls._spawn([ARGS.prometheus, "--config.file=" + prom_conf,
                               "--storage.tsdb.path=" + os.path.join(cls.tmp, "tsdb"),
                               "--web.listen-address=127.0.0.1:%d" % cls.prom_port,
                               "--log.level=warn"], "prometheus.log")
        cls._wait("Prometheus ready", 30,
                  lambda: dt.http_get(cls.prom_url + "/-/ready", timeout=2)[0] == 200, cls.prom,
                  os.path.join(cls.tmp, "prometheus.log"))

        # The shards, each told its index another way.
        index_by = [(["--shard-index", "0"], {}),
                    ([], {"LAMPI_FLEET_SHARD_INDEX": "1"}),
                    ([], {"JOB_COMPLETION_INDEX": "2"})]
        cls.shards = []
        for i, (flags, env) in enumerate(index_by):
            argv = [ARGS.lampi_fleet, "run", "-n", str(LAMPS), "--shard-count", str(SHARDS),
                    "-b", "mqtt://127.0.0.1:%d" % cls.broker_port, "-d", "%ds" % DURATION_S,
                    "--hatch-rate", "30", "-p", "touch-drag", "-t", "2",
                    "--metrics-listen", "127.0.0.1:%d" % cls.metrics_ports[i],
                    "--summary-json", os.path.join(cls.tmp, "shard-%d.json" % i),
                    "--report", ""] + flags
            environment = dict(os.environ)
            environment.pop("JOB_COMPLETION_INDEX", None)
            environment.update(env)
            print("  $ %s%s" % ("".join("%s=%s " % kv for kv in env.items()), " ".join(argv)),
                  flush=True)
            cls.shards.append(cls._spawn(argv, "shard-%d.log" % i, env=environment,
                                         stop_signal=signal.SIGINT))
        cls._wait("all 30 lamps bridged as Prometheus sees them", 60,
                  lambda: cls._value('sum(lampi_fleet_lamps{state="bridged"})') == LAMPS,
                  cls.shards[0], os.path.join(cls.tmp, "shard-0.log"), interval=1.0)
        cls._wait("%d s of samples from every shard" % SAMPLES_WANTED, SAMPLES_WANTED + 20,
                  lambda: (cls._value('min(count_over_time(up{job="lampi-fleet"}[1m]))') or 0)
                  >= SAMPLES_WANTED, cls.shards[0], os.path.join(cls.tmp, "shard-0.log"),
                  interval=1.0)
        cls.live = {}
        dash = dt.load_dashboard()
        defined = dt.template_vars(dash)
        for title, _ref, expr, _legend in dt.dashboard_targets(dash):
            cls.live.setdefault(title, []).append(
                (expr, cls._query(dt.expand(expr, defined))))
        cls.connects_live = cls._value("sum(lampi_fleet_connects_total)")
        cls.shard_labels_live = cls._value("count(count by (shard) (lampi_fleet_build_info))")
        # The shards end at their duration: wait for them, then for the observer's last lines.
        cls.exit_codes = []
        for proc in cls.shards:
            try:
                cls.exit_codes.append(proc.wait(timeout=DURATION_S + 60))
            except subprocess.TimeoutExpired:
                cls.exit_codes.append("still running")
        time.sleep(1)
        dt.stop(cls.observer, signal.SIGTERM, 5)

    @classmethod
    def _spawn(cls, argv, log_name, env=None, stop_signal=signal.SIGTERM):
        log = open(os.path.join(cls.tmp, log_name), "wb")
        try:
            proc = subprocess.Popen(argv, cwd=cls.tmp, env=env, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, preexec_fn=dt._die_with_parent)
        finally:
            log.close()
        dt.CHILDREN.append((proc, stop_signal))
        cls.children.append((proc, stop_signal))
        return proc

    @classmethod
    def _cleanup(cls):
        for proc, sig in reversed(cls.children):
            dt.stop(proc, sig, 20)
        if os.environ.get("LAMPI_KEEP_TMP") == "1":
            print("  kept %s" % cls.tmp)
        else:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def _wait(cls, what, timeout, ready, proc, log, interval=0.25):
        dt.LiveDashboardTest._wait(what, timeout, ready, proc, log, interval)

    @classmethod
    def _query(cls, expr):
        dt.LiveDashboardTest.prom_url = cls.prom_url  # its query() reads the class's URL
        return dt.LiveDashboardTest.query(expr)

    @classmethod
    def _value(cls, expr):
        res = cls._query(expr)
        if res.get("status") != "success":
            raise ValueError(res.get("error"))
        values = dt.series_values(res)
        return values[0][1] if len(values) == 1 else None

    def _summary(self, name):
        with open(os.path.join(self.tmp, name)) as f:
            return json.load(f)

    # -- the broker's view

    def test_every_device_id_connected_once_by_exactly_one_shard(self):
        with open(self.broker_log, errors="replace") as f:
            ids = re.findall(r"New client connected from \S+ as ([0-9a-f]{12})_broker", f.read())
        counts = collections.Counter(ids)
        self.assertEqual(set(counts), device_ids(), "the fleet's ids, and no other")
        self.assertEqual([i for i, n in counts.items() if n != 1], [],
                         "ids that connected more than once (two shards sharing an id?)")

    def test_an_observer_hears_every_device_and_no_other(self):
        heard = set()
        with open(self.observer_out, errors="replace") as f:
            for line in f:
                m = re.match(r"devices/([0-9a-f]{12})/", line)
                if m:
                    heard.add(m.group(1))
        self.assertEqual(heard, device_ids())

    # -- Prometheus: the dashboard over three processes

    def _panel(self, title):
        self.assertIn(title, self.live)
        return self.live[title]

    def test_dashboard_totals_are_the_fleet(self):
        bridged, configured = [dt.series_values(r) for _e, r in
                               self._panel("Lamps bridged / configured")]
        self.assertEqual([v for _l, v in bridged], [LAMPS])
        self.assertEqual([v for _l, v in configured], [LAMPS])

    def test_per_worker_panel_tells_the_shards_apart_and_adds_up(self):
        (_expr, res), = self._panel("Bridged lamps by worker thread")
        series = dt.series_values(res)
        shards = collections.Counter()
        for labels, value in series:
            shards[labels["shard"]] += value
        self.assertEqual(sorted(shards), ["0", "1", "2"])
        self.assertEqual(sum(shards.values()), LAMPS)
        self.assertEqual(sorted(shards.values()), [10, 10, 10])
        self.assertEqual(len(series), SHARDS * 2, "three shards of two worker threads each")

    def test_connects_add_up(self):
        # Read while the shards ran: their series go stale once they end.
        self.assertEqual(self.connects_live, LAMPS)
        self.assertEqual(self.shard_labels_live, SHARDS)

    # -- the shards' summaries and their merge

    def test_each_shard_ends_ok_with_its_slice(self):
        self.assertEqual(self.exit_codes, [0] * SHARDS)
        for i in range(SHARDS):
            s = self._summary("shard-%d.json" % i)
            self.assertEqual(s["config"]["shard"], {"count": SHARDS, "index": i})
            self.assertEqual(s["lamps"], LAMPS // SHARDS)
            self.assertEqual(s["verdict_code"], "ok")

    def test_the_merge_is_the_sum_of_its_parts(self):
        merged_json = os.path.join(self.tmp, "merged.json")
        report = os.path.join(self.tmp, "merged.html")
        r = dt.run([ARGS.lampi_fleet, "merge"] +
                   [os.path.join(self.tmp, "shard-%d.json" % i) for i in (2, 0, 1)] +
                   ["--summary-json", merged_json, "--report", report])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Verdict: OK", r.stdout)
        self.assertIn("Merged: 3 shards of a 30-lamp fleet", r.stdout)
        m = self._summary("merged.json")
        parts = [self._summary("shard-%d.json" % i) for i in range(SHARDS)]
        for field in ("lamps", "connects", "connect_attempts", "lamps_bridged_at_end",
                      "timeouts", "unacked_at_power_off"):
            self.assertEqual(m[field], sum(p[field] for p in parts), field)
        self.assertEqual(m["verdict_code"], "ok")
        self.assertEqual([s["shard"] for s in m["merged_from"]], [0, 1, 2])
        rows = {row["name"]: row for row in m["topics"]}
        for name, row in rows.items():
            mine = [next((r for r in p["topics"] if r["name"] == name), None) for p in parts]
            mine = [r for r in mine if r is not None]
            self.assertEqual(row["requests"], sum(r["requests"] for r in mine), name)
            buckets = collections.Counter()
            for r in mine:
                for upper, n in r["latency_histogram"]["buckets"]:
                    buckets[upper] += n
            self.assertEqual({u: n for u, n in row["latency_histogram"]["buckets"]},
                             dict(buckets), name)
            h = row["latency_histogram"]
            self.assertEqual(h["count"], sum(r["latency_histogram"]["count"] for r in mine))
            if "response_ms" in row:
                for q, key in ((0.5, "median"), (0.95, "p95"), (0.99, "p99")):
                    expected = percentile_from_buckets(buckets, h["count"], h["max_us"], q)
                    self.assertAlmostEqual(row["response_ms"][key], expected / 1000.0, places=6,
                                           msg="%s %s" % (name, key))
        with open(report) as f:
            html = f.read()
        self.assertIn("Merged from 3 shards", html)
        for i in range(SHARDS):
            self.assertIn("shard-%d.json" % i, html)


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("lampi-fleet", "mosquitto", "mosquitto-sub", "prometheus", "promtool", "repo"):
        parser.add_argument("--" + name, required=True)
    ARGS, rest = parser.parse_known_args()
    ARGS.repo = os.path.abspath(ARGS.repo)
    dt.ARGS = ARGS  # the dashboard helpers read the repository's files through it
    signal.signal(signal.SIGTERM, dt.on_sigterm)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
