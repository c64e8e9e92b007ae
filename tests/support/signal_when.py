#!/usr/bin/env python3
"""Runs a command and sends it a signal at a chosen moment of its start-up.

    signal_when.py SIGNAL MOMENT -- COMMAND...

MOMENT is `child`: as soon as the command has a child process of its own (lampi-fleet's
local mosquitto, while it is still starting); or `after:S`: S seconds after it started.
Prints the command's output and exits with
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
    assert sys.argv[3] == "--" and (moment == "child" or moment.startswith("after:")), __doc__
    proc = subprocess.Popen(sys.argv[4:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if moment == "child":
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None and not children(proc.pid):
            time.sleep(0.0005)
    else:
        time.sleep(float(moment[len("after:"):]))
    if proc.poll() is None:
        os.kill(proc.pid, sig)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    sys.stdout.write(out.decode(errors="replace"))
    rc = proc.returncode
    sys.exit(128 - rc if rc < 0 else rc)


main()
