#!/usr/bin/env python3
"""The per-message cost of metrics: the same fleet and load with the Prometheus endpoint
off, then on and scraped every second. Prints CPU seconds per 1,000 messages for each.

Usage: tests/bench/metrics_cost_bench.py [LAMPI_FLEET_BIN] [LAMPS] [SECONDS]
"""
import json
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

binary = sys.argv[1] if len(sys.argv) > 1 else "build-release/fleet/lampi-fleet"
lamps = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(metrics_on):
    summary = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    port = free_port()
    args = [binary, "run", "--lamps", str(lamps), "--profile", "seed-worst-case", "--hatch-rate", "1000",
            "--duration", f"{seconds}s", "--seed", "7", "--summary-json", summary,
            "--metrics-listen", f"127.0.0.1:{port}" if metrics_on else ""]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scrapes = 0
    stop = threading.Event()

    def scrape():
        nonlocal scrapes
        while not stop.wait(1.0):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read()
                scrapes += 1
            except OSError:
                pass

    scraper = threading.Thread(target=scrape)
    if metrics_on:
        scraper.start()
    proc.wait(timeout=seconds + 60)
    stop.set()
    if metrics_on:
        scraper.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(summary) as f:
        s = json.load(f)
    os.unlink(summary)
    # RUSAGE_CHILDREN includes the local mosquitto the fleet started (its grandchild is
    # reaped by the fleet, so it counts there): both runs carry the same broker load.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    requests = s["topics"][-1]["requests"]
    return cpu, requests, scrapes, s["verdict"]


for label, on in (("metrics off", False), ("metrics on, scraped every 1 s", True)):
    cpu, requests, scrapes, verdict = run(on)
    print(f"{label:32s} CPU {cpu:7.2f} s  messages {requests:9d}  "
          f"CPU per 1k messages {1000 * cpu / max(requests, 1):.3f} s  scrapes {scrapes}  ({verdict[:40]})")
