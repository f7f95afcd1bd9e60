#!/usr/bin/env python3
"""Peer for benchmarks: SHA-256 of every file under DIR with a pool of N processes."""
import hashlib
import os
import sys
from multiprocessing import Pool


def digest(path):
    with open(path, "rb") as f:
        return path, hashlib.file_digest(f, "sha256").hexdigest()


def main():
    root = sys.argv[1]
    procs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
    with Pool(procs) as pool:
        n = sum(1 for _ in pool.imap_unordered(digest, files, chunksize=16))
    print(n, "files")


if __name__ == "__main__":
    main()
