#!/usr/bin/env python3
"""Memory per TLS lamp and the cost of a handshake, against a local mosquitto TLS listener
set up as chapter 13's (a certificate per lamp, required, its CN the user name).

Makes a CA, a broker certificate and N lamps' certificates (certificate_check_bench
--keep), starts the listener, then runs idle fleets of BASELINE and N lamps at the hatch
rate, and BASELINE lamps once more as fast as they can connect (--burst-rate). For each it
prints how fast the lamps bridged (handshakes a second, both processes on this machine),
the CPU each side spent per handshake while they did, and the fleet's steady RSS; then the
RSS per TLS lamp beyond the baseline (the issue's target: at most 16 KiB).

  tests/bench/tls_scale_bench.py [--build build] [--release build-release] [--lamps 19000]
                                 [--baseline 1000] [--hatch-rate 300] [--burst-rate 5000]
                                 [--certs DIR]
"""
import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bridged(metrics_port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return 0
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
               if line.startswith("lampi_fleet_lamps{") and 'state="bridged"' in line)


def raise_fd_limit():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def make_certs(build, lamps):
    out = subprocess.run([f"{build}/tests/certificate_check_bench", str(lamps), "ec", "--keep"],
                         check=True, capture_output=True, text=True).stdout
    return out.rsplit("kept ", 1)[1].strip()


def start_broker(certs, port, log):
    # mosquitto started as root runs as the mosquitto user, which must read the files.
    os.chmod(certs, 0o755)
    for name in ("lampi_ca.crt", "broker.crt", "broker.key"):
        os.chmod(os.path.join(certs, name), 0o644)
    conf = os.path.join(certs, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(f"""listener {port} 127.0.0.1
cafile {certs}/lampi_ca.crt
certfile {certs}/broker.crt
keyfile {certs}/broker.key
require_certificate true
use_identity_as_username true
set_tcp_nodelay true
max_connections -1
log_dest stderr
log_type error
""")
    broker = subprocess.Popen(["mosquitto", "-c", conf], stdout=log, stderr=log,
                              preexec_fn=raise_fd_limit)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return broker
        time.sleep(0.05)
    broker.kill()
    sys.exit("the TLS broker did not start; its log: " + log.name)


def run_fleet(args, certs, port, lamps, hatch_rate, workdir):
    metrics = free_port()
    ramp_s = lamps / hatch_rate
    duration = int(ramp_s * 2 + 20)  # the ramp, time to catch up, then a steady stretch
    summary = os.path.join(workdir, f"summary-{lamps}.json")
    cmd = [f"{args.release}/fleet/lampi-fleet", "run", "-n", str(lamps),
           "-b", f"mqtts://localhost:{port}", "--ca-file", f"{certs}/lampi_ca.crt",
           "--cert-template", f"{certs}/{{id}}_broker.crt",
           "--key-template", f"{certs}/{{id}}_broker.key",
           "--profile", "idle", "--hatch-rate", str(hatch_rate), "-d", f"{duration}s",
           "--metrics-listen", f"127.0.0.1:{metrics}", "--report", "",
           "--summary-json", summary]
    with open(os.path.join(workdir, f"fleet-{lamps}.log"), "w") as log:
        fleet = subprocess.Popen(cmd, stdout=log, stderr=log, cwd=workdir)
        started = time.monotonic()
        first = all_up = None  # (time, lamps bridged, fleet CPU, broker CPU)
        while fleet.poll() is None and time.monotonic() - started < duration - 6:
            # From the first bridged lamp on: the certificate check before it is not a handshake.
            up = bridged(metrics)
            sample = (time.monotonic(), up, cpu_seconds(fleet.pid), cpu_seconds(args.broker_pid))
            if first is None and up > 0:
                first = sample
            if first and all_up is None and up >= lamps:
                all_up = tuple(b - a for a, b in zip(first, sample))
            time.sleep(0.2)
        rss = rss_kb(fleet.pid)
        broker_rss = rss_kb(args.broker_pid)
        fleet.wait(timeout=duration + 60)
    s = json.load(open(summary))
    return {"lamps": lamps, "hatch_rate": hatch_rate, "up": all_up, "rss_kb": rss, "broker_rss_kb": broker_rss,
            "bridged_peak": s["lamps_bridged_peak"], "attempts": s["connect_attempts"],
            "verdict": s["verdict"]}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build", help="build with the tests (certificate_check_bench)")
    p.add_argument("--release", default="build-release", help="build whose lampi-fleet runs")
    p.add_argument("--lamps", type=int, default=19000)
    p.add_argument("--baseline", type=int, default=1000)
    p.add_argument("--hatch-rate", type=int, default=300, help="for the memory runs")
    p.add_argument("--burst-rate", type=int, default=5000,
                   help="hatch rate of a third run of the baseline size: handshakes at full speed")
    p.add_argument("--certs", help="a directory certificate_check_bench --keep made (reused)")
    args = p.parse_args()
    args.build, args.release = os.path.abspath(args.build), os.path.abspath(args.release)
    raise_fd_limit()
    workdir = tempfile.mkdtemp(prefix="lampi-tlsbench-")
    certs = args.certs or make_certs(args.build, max(args.lamps, args.baseline))
    port = free_port()
    broker_log = open(os.path.join(workdir, "mosquitto.log"), "w")
    broker = start_broker(certs, port, broker_log)
    args.broker_pid = broker.pid
    try:
        runs = [run_fleet(args, certs, port, n, args.hatch_rate, workdir)
                for n in (args.baseline, args.lamps)]
        runs.append(run_fleet(args, certs, port, args.baseline, args.burst_rate, workdir))
    finally:
        broker.terminate()
        broker.wait(timeout=30)
    print(f"TLS 1.3, P-256 certificates, {os.cpu_count()} cores shared by the fleet and mosquitto")
    for r in runs:
        if r["up"]:
            secs, handshakes, fleet_cpu, broker_cpu = r["up"]
            handshakes = max(handshakes, 1)
            ramp = (f"{handshakes} handshakes in {secs:.1f} s ({handshakes / secs:.0f}/s), CPU "
                    f"per handshake: fleet {fleet_cpu * 1e6 / handshakes:.0f} us, "
                    f"mosquitto {broker_cpu * 1e6 / handshakes:.0f} us")
        else:
            ramp = "not all bridged during the run"
        print(f"{r['lamps']:>6} lamps at {r['hatch_rate']}/s: {ramp}")
        print(f"        RSS {r['rss_kb']} kB ({r['rss_kb'] * 1024 / r['lamps']:.0f} B a lamp), "
              f"mosquitto {r['broker_rss_kb']} kB; bridged peak {r['bridged_peak']}, "
              f"{r['attempts']} attempts; {r['verdict'][:70]}")
    base, big, _ = runs
    per_lamp = (big["rss_kb"] - base["rss_kb"]) * 1024 / (big["lamps"] - base["lamps"])
    print(f"RSS per TLS lamp beyond the baseline: {per_lamp:.0f} bytes (target <= 16384)")
    if not args.certs:
        shutil.rmtree(certs)
    shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
