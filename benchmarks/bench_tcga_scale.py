"""Wall time and peak memory of `mirmodules run` on a simulated cohort of TCGA size.

Default shape: 432 miRNAs x 17,000 mRNAs x 424 samples (the paper's BLCA cohort), 15 planted
modules. Prints one line per stage plus recovery of the planted modules. Runs the CLI in a
subprocess so that peak memory (ru_maxrss of the child) is that of a real `mirmodules run`.

    python benchmarks/bench_tcga_scale.py                 # defaults
    python benchmarks/bench_tcga_scale.py --batch-size 256 --seed 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mirmodules import read_modules, recovery_scores, simulate_cohort


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-samples", type=int, default=424)
    parser.add_argument("--n-mirnas", type=int, default=432)
    parser.add_argument("--n-mrnas", type=int, default=17000)
    parser.add_argument("--n-modules", type=int, default=15)
    parser.add_argument("--false-positive-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise-model", default="gaussian", choices=["gaussian", "negbin"],
                        help="planted-module generator (see mirmodules.simulate)")
    parser.add_argument("--workdir", default=None, help="keep files here (default: a temp folder)")
    parser.add_argument("run_args", nargs="*", help="extra flags for `mirmodules run` (after --)")
    args = parser.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="mirmodules_bench_"))
    start = time.perf_counter()
    cohort = simulate_cohort(
        n_samples=args.n_samples, n_mirnas=args.n_mirnas, n_mrnas=args.n_mrnas,
        n_modules=args.n_modules, mirnas_per_module=(3, 8), mrnas_per_module=(20, 80),
        false_positive_rate=args.false_positive_rate, seed=args.seed, noise_model=args.noise_model,
        missing_rate=0.3 if args.noise_model == "negbin" else 0.1,
    )
    paths = cohort.write(work / "data")
    print(f"simulated and wrote cohort in {time.perf_counter() - start:.1f} s -> {work / 'data'}")
    out = work / "run"
    cmd = [sys.executable, "-m", "mirmodules.cli", "-q", "run", "--mirna", str(paths["mirna"]),
           "--mrna", str(paths["mrna"]), "--interactions", str(paths["interactions"]),
           "--out", str(out), "--overwrite", "--seed", str(args.seed), *args.run_args]
    print("running:", " ".join(cmd[1:]))
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    wall = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr, sep="\n")
        raise SystemExit(proc.returncode)
    manifest = json.loads((out / "manifest.json").read_text())
    print(f"\nshape: {args.n_mirnas} miRNAs x {args.n_mrnas} mRNAs x {args.n_samples} samples; "
          f"torch threads {manifest['platform']['torch_threads']}, cpu count {os.cpu_count()}")
    print(f"{'stage':34s} {'seconds':>8s}")
    for stage, secs in manifest["seconds"].items():
        print(f"{stage:34s} {secs:8.1f}")
    print(f"{'total wall (process)':34s} {wall:8.1f}")
    print(f"peak memory (max RSS of the run): {peak_kib / 1024:.0f} MiB"
          + (" (includes earlier children)" if before else ""))
    print("training:", json.dumps(manifest["training"]))
    print("clustering:", json.dumps(manifest["clustering"]))
    scores = recovery_scores(cohort.truth, read_modules(out))
    print(f"modules found {int(scores['n_found'])}; planted {int(scores['n_truth'])}; "
          f"recovery (mean best-match Jaccard) {scores['recovery']:.3f}; relevance {scores['relevance']:.3f}")


if __name__ == "__main__":
    main()
