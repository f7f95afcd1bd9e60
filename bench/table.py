#!/usr/bin/env python3
"""Turn hyperfine JSON exports into Markdown tables: best, mean, the ratio of means to the
first command, and the peak memory when a `.peak` file (name, KB) lies beside the JSON."""
import json
import os
import sys


def peaks(path):
    peak = path.removesuffix(".json") + ".peak"
    if not os.path.exists(peak):
        return {}
    with open(peak) as f:
        return {name: int(kb) for name, kb in (line.rstrip("\n").split("\t") for line in f if "\t" in line)}


for path in sys.argv[1:]:
    with open(path) as f:
        results = json.load(f)["results"]
    rss = peaks(path)
    base = results[0]["mean"]
    first = results[0]["command"]
    print(f"\n{path.rsplit('/', 1)[-1].removesuffix('.json')}\n")
    head = f"| command | best (s) | mean (s) | ± σ | ratio to `{first}` |"
    rule = "|---|---:|---:|---:|---:|"
    if rss:
        head += " peak RSS (MB) |"
        rule += "---:|"
    print(head)
    print(rule)
    for r in results:
        name = r["command"]
        row = f"| `{name}` | {r['min']:.3f} | {r['mean']:.3f} | {r['stddev']:.3f} | {r['mean'] / base:.2f}× |"
        if rss:
            kb = rss.get(name)
            row += f" {kb / 1024:.0f} |" if kb else " |"
        print(row)
