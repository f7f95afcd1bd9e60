#!/usr/bin/env python3
"""Turn hyperfine JSON exports into a Markdown table of means and ratios to the first command."""
import json
import sys

for path in sys.argv[1:]:
    with open(path) as f:
        results = json.load(f)["results"]
    base = results[0]["mean"]
    print(f"\n{path.rsplit('/', 1)[-1].removesuffix('.json')}\n")
    print("| command | mean (s) | ± σ | ratio to assetpack |")
    print("|---|---:|---:|---:|")
    for r in results:
        print(f"| `{r['command']}` | {r['mean']:.3f} | {r['stddev']:.3f} | {r['mean'] / base:.2f}× |")
