#!/usr/bin/env python3
"""Paired whole-process timing of two commands, for the bench scripts.

Usage: paired.py RUNS WARMUP -- COMMAND_A ... -- COMMAND_B ...

Runs A and B in turn (A B A B ...) after WARMUP unrecorded pairs, each with
empty standard input and its output thrown away, and prints for each the
median, min and max of its CPU time (user + system, the kernel's own
accounting of the finished child, read with wait4) and wall time (a
monotonic clock around start and reap), then the median, min and max of
the ratios A/B taken pair by pair: a change of the machine's speed during
the call weighs on both commands of a pair alike. Exits non-zero if a run
of either command fails, so that the figures never compare different work.
"""

import os
import statistics
import subprocess
import sys
import time


def run(cmd):
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    # Popen must not reap it again.
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"paired: {cmd[0]} exited with {proc.returncode}")
    return usage.ru_utime + usage.ru_stime, wall


def spread(values, scale, unit):
    return "median {:8.3f} {u}  (min {:.3f}, max {:.3f})".format(
        statistics.median(values) * scale, min(values) * scale, max(values) * scale, u=unit
    )


def main():
    args = sys.argv[1:]
    try:
        runs, warmup = int(args[0]), int(args[1])
        first = args.index("--", 2)
        second = args.index("--", first + 1)
    except (IndexError, ValueError):
        sys.exit(__doc__)
    a, b = args[first + 1 : second], args[second + 1 :]
    if not a or not b or runs < 1:
        sys.exit(__doc__)
    for _ in range(warmup):
        run(a)
        run(b)
    ra, rb = [], []
    for _ in range(runs):
        ra.append(run(a))
        rb.append(run(b))
    for name, r in (("A", ra), ("B", rb)):
        print(f"{name} cpu  ms: {spread([c for c, _ in r], 1000, '')}")
        print(f"{name} wall ms: {spread([w for _, w in r], 1000, '')}")
    cpu = [x[0] / y[0] for x, y in zip(ra, rb) if y[0] > 0]
    wall = [x[1] / y[1] for x, y in zip(ra, rb)]
    print(f"A/B cpu:     {spread(cpu, 1, '')}")
    print(f"A/B wall:    {spread(wall, 1, '')}")


if __name__ == "__main__":
    main()
