#!/usr/bin/env python3
"""Checks the deploy assets against a real lampi-fleet and a real Prometheus.

Run by ctest (label `prometheus`, see tests/CMakeLists.txt):

    dashboard_test.py --lampi-fleet build/fleet/lampi-fleet \
        --prometheus /usr/bin/prometheus --promtool /usr/bin/promtool --repo .

Grafana is not available on Debian 12, so the dashboard is validated through
Prometheus: every PromQL expression in deploy/grafana/dashboards/lampi-fleet.json is
evaluated against a Prometheus that has scraped a real `lampi-fleet run` for ~30 s.

What it checks
  Files (no processes):
    * the dashboard JSON: schema, the DS_PROMETHEUS / job / instance variables, every
      panel and query on the `${DS_PROMETHEUS}` data source, unique ids, a layout that
      fits 24 columns without overlaps, only known Grafana variables; schemaVersion 42
      and no deprecated field (Angular panel types or keys, string data sources, the
      dashboard's style, the table's options.footer, ...); a panel that draws series
      below zero (disconnects) has no axis minimum at or above zero;
    * every query filters on job and instance, and every histogram_quantile sums its
      buckets `by (..., le)`, so several processes scraped together aggregate;
    * every metric the dashboard uses is in docs/metrics.md, and every metric there has
      a panel (but the embedded server's own exposer_* metrics);
    * `promtool check config` on deploy/prometheus/prometheus.yml and
      deploy/compose/prometheus.yml; the systemd unit has LimitNOFILE=1048576,
      Restart=no and `run --config` (the compose, Docker and Kubernetes files are
      tests/deploy/manifests_test.py's);
  Live (lampi-fleet + Prometheus on free 127.0.0.1 ports, 1 s scrapes):
    * the one lampi-fleet endpoint is scraped as TWO instances (fleet-a, fleet-b), so
      each query sees two identical processes: a query whose legend names no label must
      still return exactly one series (it aggregates instead of assuming one process);
    * every dashboard query returns status success and data; legend labels exist;
    * the annotation queries and the variable queries evaluate;
    * `promtool check metrics` on a scraped /metrics body (errors fail, lint is
      printed), /healthz answers 200 "ok"; docs/metrics.md names every family the
      scrape returns, with its type, and no family it does not return;
    * a few values make sense: lamps by state add up to lamps configured, lamps are
      bridged, messages are offered and acknowledged, the response-time p95 is finite.

Every wait is bounded; every child is killed in the class cleanup (and gets SIGKILL if
this script dies: PR_SET_PDEATHSIG). Only 127.0.0.1 is used. Python standard library
only. Set LAMPI_KEEP_TMP=1 to keep the scratch directory (configs, logs, TSDB).
"""

import argparse
import ctypes
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

ARGS = None  # set in main()

DASHBOARD = "deploy/grafana/dashboards/lampi-fleet.json"
PROM_CONFIGS = ["deploy/prometheus/prometheus.yml", "deploy/compose/prometheus.yml"]
CATALOGUE = "docs/metrics.md"
# The last schemaVersion of Grafana's classic dashboard JSON (v1 API): dashboards at it
# load in Grafana 12+ unmigrated, and older Grafanas load them as they are.
SCHEMA_VERSION = 42
# Panel types Grafana replaced (Angular plugins, removed in Grafana 11/12).
DEPRECATED_PANEL_TYPES = {"graph", "singlestat", "table-old", "grafana-piechart-panel",
                          "grafana-worldmap-panel", "heatmap-old"}
# Keys of the old Angular graph/singlestat panels: none belongs on a current panel.
DEPRECATED_PANEL_KEYS = {"yaxes", "xaxis", "lines", "linewidth", "bars", "points", "fill",
                         "stack", "percentage", "nullPointMode", "seriesOverrides",
                         "aliasColors", "legend", "styles", "thresholds", "valueName",
                         "format", "sparkline", "gauge", "colorBackground", "colorValue"}
# The panel that draws disconnects below zero (a negative-Y transform).
CONNECTS_PANEL = "Connects, disconnects and reconnects /s"

LAMPS = 200
RUN_ARGS = ["--lamps", str(LAMPS), "--hatch-rate", "200", "--duration", "60s",
            "--profile", "seed-worst-case:50,touch-drag:30,bluetooth:10,idle:10",
            "--cloud", "active"]  # so the cloud stand-in's families are scraped too
INSTANCES = ["fleet-a", "fleet-b"]  # one endpoint scraped twice: two "processes"
SAMPLES_WANTED = 30                 # ~30 s of 1 s scrapes before evaluating

# What Grafana would put in for its own variables and ours ("All" of a multi-value
# variable becomes a regex; `.*` is the widest).
GRAFANA_VARS = {
    "__rate_interval": "1m", "__interval": "15s", "__interval_ms": "15000",
    "__range": "1m", "__range_s": "60", "__range_ms": "60000",
}
DASHBOARD_VAR_VALUE = ".*"

# Summary rows: (panel, refId, verdict, detail), printed at the end.
REPORT = []


# ---------------------------------------------------------------------- helpers

def repo_path(rel):
    return os.path.join(ARGS.repo, rel)


def load_dashboard():
    with open(repo_path(DASHBOARD), encoding="utf-8") as f:
        return json.load(f)


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def find_key(node, key, path="", by_id=False):
    """(path, value) of every `key` in a JSON tree; with by_id, the values of the
    {"id": key, "value": ...} pairs of field-config overrides instead."""
    if isinstance(node, dict):
        if by_id and node.get("id") == key and "value" in node:
            yield path, node["value"]
        for k, v in node.items():
            if not by_id and k == key:
                yield path + "/" + k, v
            yield from find_key(v, key, path + "/" + k, by_id)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from find_key(v, key, "%s[%d]" % (path, i), by_id)


def dashboard_targets(dash):
    """(panel title, refId, expr, legendFormat) of every query panel target."""
    out = []
    for p in walk_panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            out.append((p.get("title", "?"), t.get("refId", "?"), t.get("expr", ""),
                        t.get("legendFormat", "")))
    return out


def dashboard_annotations(dash):
    return [a for a in dash.get("annotations", {}).get("list", []) if a.get("expr")]


def template_vars(dash):
    return {v["name"]: v for v in dash.get("templating", {}).get("list", [])}


VAR_RE = re.compile(r"\$\{(\w+)(?::[\w]+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)")


def used_vars(expr):
    return [next(g for g in m.groups() if g) for m in VAR_RE.finditer(expr)]


def expand(expr, defined):
    """Replaces Grafana variables as Grafana would; KeyError on an unknown one."""
    def sub(m):
        name = next(g for g in m.groups() if g)
        if name in GRAFANA_VARS:
            return GRAFANA_VARS[name]
        if name in defined:
            return DASHBOARD_VAR_VALUE
        raise KeyError(name)
    return VAR_RE.sub(sub, expr)


def catalogue_metrics():
    names = set()
    with open(repo_path(CATALOGUE), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\|\s*`([a-z_][a-z0-9_]*)`\s*\|\s*(\w+)\s*\|", line)
            if m:
                names.add((m.group(1), m.group(2)))
    return names


def metric_names(expr):
    names = set()
    for m in re.finditer(r"\b((?:lampi_fleet|process)_[a-z0-9_]+)\b", expr):
        names.add(m.group(1))
    return names


def base_metric(name, histograms):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in histograms:
            return name[: -len(suffix)]
    return name


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy


def http_get(url, timeout=5.0):
    with _OPENER.open(url, timeout=timeout) as r:
        return r.status, r.read().decode("utf-8", "replace")


def _die_with_parent():
    # Linux: the child gets SIGKILL if this test process dies (ctest timeout, crash).
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


CHILDREN = []  # (Popen, stop signal), for the SIGTERM handler
SCRATCH = []   # temporary directories, likewise


def spawn(argv, log_path, cwd, stop_signal=signal.SIGTERM):
    log = open(log_path, "wb")
    try:
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_die_with_parent)
    finally:
        log.close()
    CHILDREN.append((proc, stop_signal))
    return proc


def on_sigterm(signum, _frame):
    """ctest timeout or Ctrl-C: stop the children (lampi-fleet gracefully, so it removes
    its mosquitto's files), remove the scratch directories, exit."""
    print("\n  signal %d: stopping children and exiting" % signum, flush=True)
    for proc, sig in reversed(CHILDREN):
        stop(proc, sig, 5)
    for d in SCRATCH:
        shutil.rmtree(d, ignore_errors=True)
    os._exit(128 + signum)


def stop(proc, sig, grace):
    """Sends `sig` to the child's process group, then SIGKILL after `grace` s."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def tail(path, lines=25):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


def run(argv, stdin_text=None, timeout=60):
    return subprocess.run(argv, input=stdin_text, capture_output=True, text=True,
                          timeout=timeout)


# ---------------------------------------------------------------------- file checks

class DashboardFileTest(unittest.TestCase):
    """The dashboard JSON itself: structure, variables, multi-instance rules."""

    @classmethod
    def setUpClass(cls):
        cls.dash = load_dashboard()
        cls.targets = dashboard_targets(cls.dash)
        cls.vars = template_vars(cls.dash)

    def test_schema_and_identity(self):
        d = self.dash
        self.assertEqual(d.get("schemaVersion"), SCHEMA_VERSION)
        self.assertEqual(d.get("uid"), "lampi-fleet")
        self.assertTrue(d.get("title"))
        self.assertNotIn("id", d, "an exported id clashes on import: leave it out")
        self.assertGreater(len(self.targets), 30)

    def test_variables(self):
        ds = self.vars.get("DS_PROMETHEUS")
        self.assertIsNotNone(ds, "a DS_PROMETHEUS data-source variable")
        self.assertEqual(ds["type"], "datasource")
        self.assertEqual(ds["query"], "prometheus")
        for name in ("job", "instance"):
            v = self.vars.get(name)
            self.assertIsNotNone(v, "a %s variable" % name)
            self.assertEqual(v["type"], "query")
            self.assertTrue(v.get("multi") and v.get("includeAll"), name)
            self.assertEqual(v["datasource"]["uid"], "${DS_PROMETHEUS}")
            q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            self.assertRegex(q, r"^label_values\(lampi_fleet_\w+.*, %s\)$" % name)
            # "All" must stay the list of lampi-fleet instances, not `.*`: process_*
            # metrics are not ours alone.
            self.assertFalse(v.get("allValue"), "%s: no allValue" % name)

    def test_panels_use_the_datasource_variable(self):
        ids = []
        for p in walk_panels(self.dash["panels"]):
            ids.append(p.get("id"))
            self.assertIn("gridPos", p, p.get("title"))
            if p.get("type") == "row":
                continue
            self.assertEqual(p.get("datasource"), {"type": "prometheus", "uid": "${DS_PROMETHEUS}"},
                             p.get("title"))
            self.assertTrue(p.get("targets"), "%s: no queries" % p.get("title"))
            refs = [t["refId"] for t in p["targets"]]
            self.assertEqual(len(refs), len(set(refs)), "%s: duplicate refId" % p["title"])
            for t in p["targets"]:
                self.assertEqual(t.get("datasource", {}).get("uid"), "${DS_PROMETHEUS}", p["title"])
                self.assertTrue(t.get("expr"), p["title"])
        self.assertNotIn(None, ids)
        self.assertEqual(len(ids), len(set(ids)), "panel ids must be unique")

    def test_layout_fits_and_does_not_overlap(self):
        cells = {}
        for p in walk_panels(self.dash["panels"]):
            g = p["gridPos"]
            self.assertLessEqual(g["x"] + g["w"], 24, p["title"])
            for yy in range(g["y"], g["y"] + g["h"]):
                for xx in range(g["x"], g["x"] + g["w"]):
                    other = cells.setdefault((xx, yy), p["title"])
                    self.assertEqual(other, p["title"],
                                     "%r overlaps %r at x=%d y=%d" % (p["title"], other, xx, yy))

    def test_series_drawn_below_zero_are_on_the_axis(self):
        # A series a panel flips below zero (custom.transform negative-Y) needs an axis
        # that goes below zero: a hard min of 0 or more clips it away.
        flipping = []
        for p in walk_panels(self.dash["panels"]):
            fc = p.get("fieldConfig", {})
            flips = [o for o in fc.get("overrides", [])
                     if {"id": "custom.transform", "value": "negative-Y"} in o.get("properties", [])]
            if not flips:
                continue
            flipping.append(p["title"])
            lowest = fc.get("defaults", {}).get("min")
            self.assertTrue(lowest is None or lowest < 0,
                            "%s: axis min %r hides what is drawn below zero" % (p["title"], lowest))
            for o in fc["overrides"]:
                for prop in o.get("properties", []):
                    if prop.get("id") == "min":
                        self.assertLess(prop["value"], 0, "%s: override min" % p["title"])
        self.assertIn(CONNECTS_PANEL, flipping, "disconnects are drawn below zero")

    def test_no_deprecated_fields(self):
        d = self.dash
        problems = ["dashboard.%s" % k for k in ("style", "hideControls", "sharedCrosshair",
                                                 "rows", "nav") if k in d]
        if not isinstance(d.get("refresh", ""), str):
            problems.append("refresh is not a string")
        problems += ["timepicker.%s" % k for k in ("time_options", "enable", "collapse",
                                                   "notice", "status", "now")
                     if k in d.get("timepicker", {})]
        problems += ["%s: %r is not a {type, uid} data source" % (path, ds)
                     for path, ds in find_key(d, "datasource")
                     if not (isinstance(ds, dict) and sorted(ds) == ["type", "uid"])]
        for p in walk_panels(d["panels"]):
            title = p.get("title")
            if p.get("type") in DEPRECATED_PANEL_TYPES:
                problems.append("%s: panel type %s" % (title, p["type"]))
            problems += ["%s: %s" % (title, k) for k in sorted(DEPRECATED_PANEL_KEYS & set(p))]
            options = p.get("options", {})
            # Grafana 12.2 moved the table footer into each field's config.
            if "footer" in options:
                problems.append("%s: options.footer" % title)
            if options.get("legend", {}).get("displayMode") == "hidden":
                problems.append("%s: legend displayMode hidden (showLegend)" % title)
            # Schema 42: what is hidden from the graph is hidden from its tooltip too.
            for _, hide in find_key(p.get("fieldConfig", {}), "custom.hideFrom", by_id=True):
                if hide.get("viz") and not hide.get("tooltip"):
                    problems.append("%s: hideFrom viz without tooltip" % title)
        self.assertEqual(problems, [], "deprecated dashboard fields")

    def test_only_known_variables(self):
        exprs = [t[2] for t in self.targets] + [a["expr"] for a in dashboard_annotations(self.dash)]
        for e in exprs:
            for name in used_vars(e):
                self.assertTrue(name in GRAFANA_VARS or name in self.vars,
                                "unknown variable $%s in %s" % (name, e))

    def test_queries_aggregate_across_instances(self):
        sel_re = re.compile(r"\b((?:lampi_fleet|process)_[a-z0-9_]+)(\{[^}]*\})?")
        for title, ref, expr, _ in self.targets:
            where = "%s/%s: %s" % (title, ref, expr)
            for m in sel_re.finditer(expr):
                matchers = m.group(2) or ""
                self.assertIn('job=~"$job"', matchers, "no job filter: " + where)
                self.assertIn('instance=~"$instance"', matchers, "no instance filter: " + where)
            self.assertRegex(expr.strip(), r"^\(?\s*(sum|max|min|avg|count|histogram_quantile)\b",
                             "not aggregated: " + where)
            for m in re.finditer(r"histogram_quantile\(\s*[0-9.]+\s*,\s*(\w+)\s*(?:by\s*\(([^)]*)\))?", expr):
                self.assertEqual(m.group(1), "sum", "buckets must be summed: " + where)
                labels = [s.strip() for s in (m.group(2) or "").split(",")]
                self.assertIn("le", labels, "sum by (..., le) needed: " + where)

    def test_metrics_match_the_catalogue(self):
        cat = catalogue_metrics()
        self.assertGreater(len(cat), 20, "could not read the table in " + CATALOGUE)
        names = {n for n, _ in cat}
        histograms = {n for n, t in cat if t == "histogram"}
        used = set()
        exprs = [t[2] for t in self.targets] + [a["expr"] for a in dashboard_annotations(self.dash)]
        for v in self.vars.values():
            q = v.get("query")
            exprs.append(q["query"] if isinstance(q, dict) else (q or ""))
        for e in exprs:
            for n in metric_names(e):
                used.add(base_metric(n, histograms))
        unknown = sorted(used - names)
        self.assertEqual(unknown, [], "metrics not in %s: %s" % (CATALOGUE, unknown))
        # The embedded HTTP server's own exposer_* families describe the endpoint, not the
        # fleet (Prometheus's own up and scrape_duration_seconds say more): no panel.
        missing = sorted(n for n in names - used if not n.startswith("exposer_"))
        self.assertEqual(missing, [], "catalogue metrics with no panel: %s" % missing)


class DeployFilesTest(unittest.TestCase):
    """Prometheus configs and the Grafana provisioning wiring."""

    def test_promtool_check_config(self):
        for rel in PROM_CONFIGS:
            r = run([ARGS.promtool, "check", "config", repo_path(rel)])
            print("  promtool check config %s: %s" % (rel, (r.stdout + r.stderr).strip().splitlines()[-1:]))
            self.assertEqual(r.returncode, 0, "%s:\n%s%s" % (rel, r.stdout, r.stderr))

    def test_systemd_unit(self):
        with open(repo_path("deploy/systemd/lampi-fleet.service")) as f:
            unit = f.read()
        self.assertRegex(unit, r"(?m)^LimitNOFILE=1048576$")
        self.assertRegex(unit, r"(?m)^Restart=no$")
        self.assertRegex(unit, r"(?m)^ExecStart=\S*lampi-fleet run --config \S+$")


# ---------------------------------------------------------------------- live checks

class LiveDashboardTest(unittest.TestCase):
    """Every dashboard query against Prometheus scraping a real lampi-fleet run."""

    @classmethod
    def setUpClass(cls):
        for path, what in ((ARGS.lampi_fleet, "lampi-fleet"), (ARGS.prometheus, "prometheus"),
                           (ARGS.promtool, "promtool")):
            if not (path and os.access(path, os.X_OK)):
                raise RuntimeError("%s not found at %r (run deploy/setup-debian.sh)" % (what, path))
        cls.tmp = tempfile.mkdtemp(prefix="lampi-dashboard-test-")
        SCRATCH.append(cls.tmp)
        cls.addClassCleanup(cls._remove_tmp)
        cls.fleet = cls.prom = None
        cls.addClassCleanup(cls._stop_children)

        cls.metrics_port = free_port()
        cls.prom_port = free_port()
        while cls.prom_port == cls.metrics_port:
            cls.prom_port = free_port()
        cls.prom_url = "http://127.0.0.1:%d" % cls.prom_port
        cls.metrics_url = "http://127.0.0.1:%d" % cls.metrics_port

        config = os.path.join(cls.tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: lampi-fleet\n    static_configs:\n")
            for inst in INSTANCES:
                f.write("      - targets: ['127.0.0.1:%d']\n        labels: {instance: %s}\n"
                        % (cls.metrics_port, inst))
        r = run([ARGS.promtool, "check", "config", config])
        if r.returncode != 0:
            raise RuntimeError("temporary prometheus.yml invalid:\n" + r.stdout + r.stderr)

        # Prometheus first, so it sees the run from its first second.
        cls.prom_log = os.path.join(cls.tmp, "prometheus.log")
        cls.prom = spawn([ARGS.prometheus, "--config.file=" + config,
                          "--storage.tsdb.path=" + os.path.join(cls.tmp, "tsdb"),
                          "--web.listen-address=127.0.0.1:%d" % cls.prom_port,
                          "--log.level=warn"], cls.prom_log, cls.tmp)
        cls._wait("Prometheus ready", 30, lambda: cls._get_ok(cls.prom_url + "/-/ready"),
                  cls.prom, cls.prom_log)
        # Target discovery reaches the scrape loops up to 5 s after start-up: wait for
        # it, so scraping starts within a second of lampi-fleet (and sees the hatch).
        cls._wait("Prometheus to know its targets", 30, lambda: cls._targets_known(),
                  cls.prom, cls.prom_log)

        cls.fleet_log = os.path.join(cls.tmp, "lampi-fleet.log")
        argv = [ARGS.lampi_fleet, "run"] + RUN_ARGS + [
            "--metrics-listen", "127.0.0.1:%d" % cls.metrics_port]
        print("\n  $ %s" % " ".join(argv), flush=True)
        cls.fleet_started = time.monotonic()
        cls.fleet = spawn(argv, cls.fleet_log, cls.tmp, signal.SIGINT)

        cls._wait("both targets up", 30, cls._targets_up, cls.fleet, cls.fleet_log)
        cls.up_after = time.monotonic() - cls.fleet_started
        query = 'min(sum_over_time(up{job="lampi-fleet"}[1m]))'  # successful scrapes
        cls._wait("%d s of samples" % SAMPLES_WANTED, SAMPLES_WANTED + 20,
                  lambda: (cls._scalar(query) or 0) >= SAMPLES_WANTED, cls.fleet, cls.fleet_log,
                  interval=1.0)
        status, cls.metrics_body = http_get(cls.metrics_url + "/metrics")
        if status != 200:
            raise RuntimeError("/metrics answered %d" % status)
        print("  metrics up %.1f s after start; evaluating at %.1f s"
              % (cls.up_after, time.monotonic() - cls.fleet_started), flush=True)

    # -- class helpers

    @classmethod
    def _remove_tmp(cls):
        if os.environ.get("LAMPI_KEEP_TMP") == "1":
            print("  kept %s" % cls.tmp)
        else:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def _stop_children(cls):
        if cls.fleet is not None:
            alive = cls.fleet.poll() is None
            stop(cls.fleet, signal.SIGINT, 20)  # graceful: it stops its own mosquitto
            print("  lampi-fleet %s, exit code %s; last lines of its output:\n%s"
                  % ("stopped by SIGINT" if alive else "had exited", cls.fleet.returncode,
                     indent(tail(cls.fleet_log, 12))))
        if cls.prom is not None:
            stop(cls.prom, signal.SIGTERM, 15)

    @classmethod
    def _wait(cls, what, timeout, ready, proc, log, interval=0.25):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("%s exited (code %s) while waiting for %s:\n%s"
                                   % (proc.args[0], proc.returncode, what, tail(log)))
            try:
                if ready():
                    return
            except (OSError, urllib.error.URLError, ValueError):
                pass
            time.sleep(interval)
        raise RuntimeError("timed out after %d s waiting for %s; log:\n%s" % (timeout, what, tail(log)))

    @staticmethod
    def _get_ok(url):
        return http_get(url, timeout=2)[0] == 200

    @classmethod
    def _active_targets(cls):
        _, body = http_get(cls.prom_url + "/api/v1/targets?state=active")
        return json.loads(body)["data"]["activeTargets"]

    @classmethod
    def _targets_known(cls):
        return set(INSTANCES) <= {t["labels"].get("instance") for t in cls._active_targets()}

    @classmethod
    def _targets_up(cls):
        up = {t["labels"].get("instance") for t in cls._active_targets() if t["health"] == "up"}
        return set(INSTANCES) <= up

    @classmethod
    def query(cls, expr):
        data = urllib.parse.urlencode({"query": expr, "time": "%.3f" % time.time()}).encode()
        req = urllib.request.Request(cls.prom_url + "/api/v1/query", data=data)
        try:
            with _OPENER.open(req, timeout=10) as r:
                return json.loads(r.read().decode())
        except urllib.error.HTTPError as e:  # 400/422: PromQL errors come with a body
            return json.loads(e.read().decode() or "{}")

    @classmethod
    def _scalar(cls, expr):
        res = cls.query(expr)
        if res.get("status") != "success":
            raise ValueError(res.get("error"))
        vals = series_values(res)
        return vals[0][1] if vals else None

    # -- tests

    def test_healthz_and_targets(self):
        status, body = http_get(self.metrics_url + "/healthz")
        self.assertEqual((status, body), (200, "ok"))
        self.assertTrue(self._targets_up())

    def test_catalogue_names_every_scraped_family(self):
        scraped = dict(re.findall(r"^# TYPE (\S+) (\S+)$", self.metrics_body, re.M))
        documented = dict(catalogue_metrics())
        self.assertEqual(sorted(set(scraped) - set(documented)), [],
                         "families a scrape returns that %s does not name" % CATALOGUE)
        self.assertEqual(sorted(set(documented) - set(scraped)), [],
                         "families %s names that no scrape returns" % CATALOGUE)
        wrong = sorted("%s: %s, documented %s" % (n, t, documented[n])
                       for n, t in scraped.items() if n in documented and documented[n] != t)
        self.assertEqual(wrong, [], "types in " + CATALOGUE)

    def test_promtool_check_metrics(self):
        r = run([ARGS.promtool, "check", "metrics"], stdin_text=self.metrics_body)
        out = (r.stdout + r.stderr).strip()
        families = len(re.findall(r"^# TYPE ", self.metrics_body, re.M))
        print("  /metrics: %d bytes, %d families, %d samples; promtool check metrics exit %d"
              % (len(self.metrics_body), families,
                 sum(1 for l in self.metrics_body.splitlines() if l and not l.startswith("#")),
                 r.returncode))
        if out:
            print("  promtool lint:\n" + indent(out))
        # 0: clean; 3: lint problems only (printed above, not fatal); else: parse error.
        self.assertIn(r.returncode, (0, 3), "promtool check metrics failed:\n" + out)

    def test_every_dashboard_query(self):
        dash = load_dashboard()
        defined = template_vars(dash)
        problems = []
        for title, ref, expr, legend in dashboard_targets(dash):
            verdict, detail = self._check_target(expr, legend, defined)
            REPORT.append((title, ref, verdict, detail))
            if verdict == "FAIL":
                problems.append("%s/%s: %s\n      %s" % (title, ref, detail, expr))
        if self.fleet.poll() is not None:
            problems.append("lampi-fleet ended (code %s) while the queries ran: its series went "
                            "stale; is the machine overloaded?" % self.fleet.returncode)
        self.assertEqual(problems, [], "\n  " + "\n  ".join(problems))

    def _check_target(self, expr, legend, defined):
        try:
            promql = expand(expr, defined)
        except KeyError as e:
            return "FAIL", "unknown variable $%s" % e.args[0]
        res = self.query(promql)
        if res.get("status") != "success":
            return "FAIL", "%s: %s" % (res.get("errorType"), res.get("error"))
        vals = series_values(res)
        if not vals:
            return "FAIL", "no data (add an `or on() vector(0)` fallback if it may be empty)"
        labels_wanted = re.findall(r"\{\{\s*(\w+)\s*\}\}", legend)
        if not labels_wanted and len(vals) != 1:
            return "FAIL", ("%d series for a one-line legend %r with %d instances scraped: "
                            "aggregate (sum/max/...) instead of assuming one process"
                            % (len(vals), legend, len(INSTANCES)))
        fallback_only = len(vals) == 1 and not vals[0][0] and vals[0][1] == 0
        for lbl in labels_wanted:
            if not fallback_only and not any(lbl in m for m, _ in vals):
                return "FAIL", "legend uses {{%s}} but no series has that label" % lbl
        nums = [v for _, v in vals]
        finite = [v for v in nums if math.isfinite(v)]
        shown = ", ".join(fmt_num(v) for v in nums[:4]) + (" ..." if len(nums) > 4 else "")
        detail = "%d series: %s" % (len(vals), shown)
        if fallback_only and labels_wanted:
            detail += " (the `or on() vector(0)` fallback: no labelled series)"
        if not finite:
            detail += " (NaN: no observations in the window)"
        return "ok", detail

    def test_annotations_and_variable_queries(self):
        dash = load_dashboard()
        defined = template_vars(dash)
        for a in dashboard_annotations(dash):
            res = self.query(expand(a["expr"], defined))
            self.assertEqual(res.get("status"), "success", "%s: %s" % (a["name"], res.get("error")))
            REPORT.append(("annotation: " + a["name"], "-", "ok",
                           "%d series (empty is normal)" % len(series_values(res))))
        for name in ("job", "instance"):
            v = defined[name]
            q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            m = re.match(r"label_values\((.*),\s*(\w+)\)$", q)
            self.assertIsNotNone(m, q)
            match = expand(m.group(1), defined)
            url = "%s/api/v1/label/%s/values?%s" % (self.prom_url, m.group(2),
                                                    urllib.parse.urlencode({"match[]": match}))
            _, body = http_get(url)
            values = json.loads(body)["data"]
            want = INSTANCES if name == "instance" else ["lampi-fleet"]
            self.assertEqual(sorted(values), sorted(want), "variable %s" % name)
            REPORT.append(("variable: " + name, "-", "ok", ", ".join(values)))

    def test_values_make_sense(self):
        n = len(INSTANCES)
        configured = self._scalar("sum(lampi_fleet_lamps_configured)")
        by_state = self._scalar("sum(lampi_fleet_lamps)")
        bridged = self._scalar('sum(lampi_fleet_lamps{state="bridged"})')
        offered = self._scalar('sum(rate(lampi_fleet_messages_total{direction="out"}[1m]))')
        acked = self._scalar("sum(rate(lampi_fleet_messages_acked_total[1m]))")
        p95 = self._scalar("histogram_quantile(0.95, sum by (le) "
                           "(rate(lampi_fleet_response_time_seconds_bucket[1m])))")
        REPORT.append(("sanity", "-", "info",
                       "configured %s, by state %s, bridged %s, offered %s/s, acked %s/s, p95 %s s "
                       "(one process scraped as %d instances)"
                       % (fmt_num(configured), fmt_num(by_state), fmt_num(bridged),
                          fmt_num(offered), fmt_num(acked), fmt_num(p95), n)))
        self.assertEqual(configured, n * LAMPS, "lampi_fleet_lamps_configured")
        self.assertEqual(by_state, configured, "lamps by state must add up to lamps configured")
        self.assertGreaterEqual(bridged, 0.9 * configured, "lamps bridged")
        self.assertGreater(offered, 0, "messages offered")
        self.assertGreater(acked, 0, "messages acknowledged")
        self.assertTrue(p95 is not None and math.isfinite(p95) and p95 > 0, "response time p95 %r" % p95)


# ---------------------------------------------------------------------- output

def series_values(res):
    data = res.get("data", {})
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        return [({}, float(result[1]))]
    if kind == "vector":
        return [(s.get("metric", {}), float(s["value"][1])) for s in result]
    if kind == "matrix":
        return [(s.get("metric", {}), float(s["values"][-1][1])) for s in result if s["values"]]
    return []


def fmt_num(v):
    if v is None:
        return "none"
    if not math.isfinite(v):
        return str(v)
    return "%.4g" % v


def indent(text, prefix="    "):
    return "\n".join(prefix + line for line in text.splitlines())


def print_summary(result):
    print("\n" + "=" * 100)
    print("lampi-fleet dashboard: each query evaluated by Prometheus (%d instances scraped)" % len(INSTANCES))
    print("-" * 100)
    width = max([len(r[0]) for r in REPORT] + [10])
    for title, ref, verdict, detail in REPORT:
        print("%-4s %-*s %-2s %s" % (verdict, width, title, ref, detail))
    failed = sum(1 for r in REPORT if r[2] == "FAIL")
    print("-" * 100)
    print("%d queries/checks reported, %d failed; unittest: %d run, %d failures, %d errors, %d skipped"
          % (len(REPORT), failed, result.testsRun, len(result.failures), len(result.errors),
             len(result.skipped)))
    print("RESULT: %s" % ("PASS" if result.wasSuccessful() else "FAIL"))
    print("=" * 100)


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lampi-fleet", required=True, help="the lampi-fleet binary")
    parser.add_argument("--prometheus", default="/usr/bin/prometheus")
    parser.add_argument("--promtool", default="/usr/bin/promtool")
    parser.add_argument("--repo", required=True, help="the repository root")
    ARGS, rest = parser.parse_known_args()
    ARGS.repo = os.path.abspath(ARGS.repo)
    for name in ("lampi_fleet", "prometheus", "promtool"):  # children run in a scratch dir
        path = getattr(ARGS, name)
        if os.sep in path:
            setattr(ARGS, name, os.path.abspath(path))
        else:
            setattr(ARGS, name, shutil.which(path) or path)
    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, on_sigterm)
    prog = unittest.main(argv=[sys.argv[0], "-v"] + rest, exit=False)
    print_summary(prog.result)
    sys.exit(0 if prog.result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
