#!/usr/bin/env python3
"""Runs a command and sends it a signal at a chosen moment of its start-up.

    signal_when.py SIGNAL MOMENT [--to-child] -- COMMAND...

MOMENT is `child`: as soon as the command has a child process of its own (lampi-fleet's
local mosquitto, while it is still starting); or `after:S`: S seconds after it started.
With --to-child the signal goes to that child instead of the command (a broker that dies
in the middle of a run). Prints the command's output and exits with
its exit code (128 + N when a signal killed it, as a shell would). Bounded: gives up and
kills the command after 30 s."""
import os
import signal
import subprocess
import sys
import time


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return f.read().split()
    except OSError:
        return []


def main():
    sig = getattr(signal, "SIG" + sys.argv[1])
    moment = sys.argv[2]
    to_child = sys.argv[3] == "--to-child"
    command = sys.argv[4 + to_child:]
    assert sys.argv[3 + to_child] == "--" and (moment == "child" or moment.startswith("after:")), __doc__
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if moment == "child":
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None and not children(proc.pid):
            time.sleep(0.0005)
    else:
        time.sleep(float(moment[len("after:"):]))
    if proc.poll() is None:
        targets = children(proc.pid) if to_child else [proc.pid]
        for pid in targets:
            os.kill(int(pid), sig)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    sys.stdout.write(out.decode(errors="replace"))
    rc = proc.returncode
    sys.exit(128 - rc if rc < 0 else rc)


main()
