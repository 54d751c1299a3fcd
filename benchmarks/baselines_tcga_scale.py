"""Every method at TCGA size: wall time, peak memory and recovery, one `mirmodules compare` each.

Simulates (or reuses, with --data) a cohort of 432 miRNAs x 17,000 mRNAs x 424 samples and runs
`mirmodules compare --methods <one method> --truth ...` in a child process per method, so that the
peak memory is that method's (plus the shared reading and preparation).

    python benchmarks/baselines_tcga_scale.py --noise-model negbin
    python benchmarks/baselines_tcga_scale.py --methods mica,mirsynergy --data /tmp/cohort
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from mirmodules import simulate_cohort


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", default="mica,kmeans_raw,kmeans_pca,mirsynergy,dicore,demine")
    parser.add_argument("--noise-model", default="negbin", choices=["gaussian", "negbin"])
    parser.add_argument("--n-mrnas", type=int, default=17000)
    parser.add_argument("--n-samples", type=int, default=424)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per method")
    parser.add_argument("--data", default=None, help="a folder written by a previous run (reused)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mirmodules_baselines_"))
    data = Path(args.data) if args.data else work / "data"
    if not (data / "truth.tsv").exists():
        cohort = simulate_cohort(n_samples=args.n_samples, n_mirnas=432, n_mrnas=args.n_mrnas,
                                 n_modules=15, mirnas_per_module=(3, 8), mrnas_per_module=(20, 80),
                                 false_positive_rate=0.2, seed=args.seed, noise_model=args.noise_model,
                                 missing_rate=0.3 if args.noise_model == "negbin" else 0.1)
        cohort.write(data)
    print(f"cohort: {data}")
    print(f"{'method':12s} {'wall s':>8s} {'peak MiB':>9s} {'method s':>9s} {'modules':>7s} {'recovery':>8s}")
    for method in args.methods.split(","):
        out = work / f"compare_{method}"
        cmd = [sys.executable, "-m", "mirmodules.cli", "-q", "compare", "--mirna", str(data / "mirna.tsv"),
               "--mrna", str(data / "mrna.tsv"), "--interactions", str(data / "interactions.tsv"),
               "--truth", str(data / "truth.tsv"), "--methods", method, "--seed", str(args.seed),
               "--out", str(out)]
        probe = [sys.executable, "-c", (
            "import resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
            "sys.exit(p.returncode)"), *cmd]
        start = time.perf_counter()
        try:
            proc = subprocess.run(probe, capture_output=True, text=True, timeout=args.timeout,
                                  check=False, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        except subprocess.TimeoutExpired:
            print(f"{method:12s} {'> ' + str(int(args.timeout)):>8s}  (stopped)", flush=True)
            continue
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            print(f"{method:12s} failed: {proc.stderr.strip().splitlines()[-2:]}", flush=True)
            continue
        peak = int(proc.stderr.strip().splitlines()[-1]) / 1024
        row = pd.read_csv(out / "comparison.tsv", sep="\t").iloc[0]
        print(f"{method:12s} {wall:8.1f} {peak:9.0f} {row['seconds']:9.1f} {int(row['n_modules']):7d} "
              f"{row['recovery']:8.3f}", flush=True)


if __name__ == "__main__":
    main()
