#!/usr/bin/env python3
"""Which goals of the speed issue a bench/build.sh run meets: ratios within one run of the best
times (the issue's measure: best of several, page cache warm; the ratio of the means is shown
beside it, since a shared host's noise moves means most), peak memory, and beside them the
floor the same run measured (hashing's CPU added to the peer's, over the cores), and for each
time goal what the build would take if it kept every core busy with the CPU it spends now (its
CPU over the cores): a goal that even that misses needs less work, not better scheduling.
Usage: goals.py WORKDIR (holding build-*.json/.peak and verify-*.json)."""
import json
import os
import sys

work = sys.argv[1]


def load(label):
    with open(os.path.join(work, label + ".json")) as f:
        results = json.load(f)["results"]
    times = {r["command"]: Time(min(r["times"]), r["mean"]) for r in results}
    # Mean CPU seconds: (user, user + system).
    cpu = {r["command"]: (r["user"], r["user"] + r["system"]) for r in results}
    peak = {}
    path = os.path.join(work, label + ".peak")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                name, kb = line.rstrip("\n").split("\t")
                peak[name] = int(kb) / 1024
    return times, peak, cpu


class Time:
    """A command's best and mean time; arithmetic on both at once."""

    def __init__(self, best, mean):
        self.best, self.mean = best, mean

    def __truediv__(self, other):
        return Time(self.best / other.best, self.mean / other.mean)

    def __sub__(self, other):
        return Time(self.best - other.best, self.mean - other.mean)


def fastest(*times):
    return Time(min(t.best for t in times), min(t.mean for t in times))


# The floor: the least time a build could take on this machine if its cores shared the work
# perfectly, counting only the copying its store peer does (that peer's CPU time) and the
# SHA-256 of every byte (openssl's user time, without its reading). It leaves out the CRC,
# the ZIP headers, the manifests and any compression, so a build cannot go below it.
HASH = "SHA-256 of every file, one openssl per core"
COPIER = {"national": "cat into one file", "many": "bsdtar --format zip (store)"}
DEFLATING = ("7z a -tzip -mx1 -mmt2 (deflate)", "bsdtar --format zip (deflate)")


def floor_rows(corpus, b, cpu, build):
    """The floor of `corpus` beside its goal's peer and the build, and the deflating peers."""
    copier = COPIER[corpus]
    if HASH not in cpu:
        return []
    seconds = (cpu[copier][1] + cpu[HASH][0]) / os.cpu_count()
    floor = Time(seconds, seconds)
    out = [(corpus, f"`{copier}`'s CPU + hashing's, over {os.cpu_count()} cores", floor / b[copier], build / floor)]
    deflating = [b[n] for n in DEFLATING if n in b]
    if deflating:
        peer = fastest(*deflating)
        out.append((corpus, "not a floor: the faster peer deflating (7-Zip -mx1, bsdtar)", peer / b[copier], build / peer))
    return out


def full(cpu, command, other):
    """`command`'s mean CPU over the cores, over `other`'s mean time."""
    return cpu[command][1] / os.cpu_count() / other.mean


rows = []
floors = []
for corpus in ("national", "many"):
    b, bp, cpu = load(f"build-{corpus}")
    v, _, _ = load(f"verify-{corpus}")
    plain = "assetpack build --no-index --no-html"
    build = b[plain]
    floors += floor_rows(corpus, b, cpu, build)
    peer = fastest(b["7z a -tzip -mx0 -mmt2"], b["bsdtar --format zip (store)"])
    rows.append((corpus, "build --no-index ≤ 1.0× the faster of 7-Zip and bsdtar", build / peer, 1.0, "×",
                 full(cpu, plain, peer)))
    if corpus == "national":
        cat = b["cat into one file"]
        rows.append((corpus, "build --no-index ≤ 1.5× cat into one file", build / cat, 1.5, "×",
                     full(cpu, plain, cat)))
        both = "assetpack build (index.pdf and index.html)"
        rows.append((corpus, "build with the index ≤ 1.3× build --no-index", b[both] / build, 1.3, "×",
                     full(cpu, both, build)))
        kept = "assetpack build --cache DIR (thumbnails kept by the run before)"
        if kept in b:
            rows.append((corpus, "the same, thumbnails kept in --cache by the build before",
                         b[kept] / build, 1.3, "×", full(cpu, kept, build)))
        # The thumbnails are made once for both views: the catalogue's own cost is what it
        # adds to a build that makes the PDF index anyway.
        rows.append((corpus, "the HTML catalogue beside the PDF index costs ≤ 0.3 s (catalogue issue)",
                     b["assetpack build (index.pdf and index.html)"] - b["assetpack build --no-html (index.pdf)"],
                     0.3, " s", None))
    rows.append((corpus, "verify ≤ 1.2× check", v["assetpack verify"] / v["assetpack check"], 1.2, "×", None))
    if plain in bp:
        rows.append((corpus, "build --no-index peak memory ≤ 64 MB", Time(bp[plain], bp[plain]), 64, " MB", None))

print("\ngoals (speed issue), this run\n")
print(f"| corpus | goal | this run: best (means) | every core busy ({os.cpu_count()}) | met |")
print("|---|---|---:|---:|---|")
for corpus, goal, value, limit, unit, busy in rows:
    if unit == " MB":
        shown = f"{value.best:.0f}{unit}"
    else:
        shown = f"{value.best:.2f}{unit} ({value.mean:.2f}{unit})"
    busy = "" if busy is None else f"{busy:.2f}{unit}"
    print(f"| {corpus} | {goal} | {shown} | {busy} | {'yes' if value.best <= limit else 'no'} |")

if floors:
    print("\nthe floor beside the goals, this run (means)\n")
    print("| corpus | floor | it / the goal's peer (cat, bsdtar) | build --no-index / it |")
    print("|---|---|---:|---:|")
    for corpus, what, of_peer, build in floors:
        print(f"| {corpus} | {what} | {of_peer.mean:.2f}× | {build.mean:.2f}× |")
