#!/usr/bin/env python3
"""Turn hyperfine JSON exports into Markdown tables: best, mean and the ratio of means to the
first command."""
import json
import sys

for path in sys.argv[1:]:
    with open(path) as f:
        results = json.load(f)["results"]
    base = results[0]["mean"]
    first = results[0]["command"]
    print(f"\n{path.rsplit('/', 1)[-1].removesuffix('.json')}\n")
    print(f"| command | best (s) | mean (s) | ± σ | ratio to `{first}` |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        name = r["command"]
        print(f"| `{name}` | {r['min']:.3f} | {r['mean']:.3f} | {r['stddev']:.3f} | {r['mean'] / base:.2f}× |")
