#!/usr/bin/env python3
"""wrk's figures side by side: `wrk_summary.py NAME=FILE... [--ratio A/B]...` prints each run's
requests/s and p99 (from wrk's `--latency` output) and each asked ratio of requests/s. Used by
the benchmark scripts, so each reads wrk the same way."""

import re
import sys


def read(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rps, p99


def main(args):
    runs, ratios = {}, []
    it = iter(args)
    for arg in it:
        if arg == "--ratio":
            ratios.append(next(it).split("/"))
        else:
            name, path = arg.split("=", 1)
            runs[name] = read(path)
    width = max(len(n) for n in runs)
    for name, (rps, p99) in runs.items():
        print(f"{name:<{width}} {rps:10.0f} requests/s  p99 {p99:7.2f} ms")
    for a, b in ratios:
        print(f"ratio ({a} / {b} requests/s): {runs[a][0] / runs[b][0]:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
