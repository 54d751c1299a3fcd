"""Wall time and peak memory of `mirmodules run` on a simulated cohort of TCGA size, and its growth.

Default shape: 432 miRNAs x 17,000 mRNAs x 424 samples (the paper's BLCA cohort), 15 planted
modules. Prints one line per stage plus recovery of the planted modules. Runs the CLI in a
subprocess so that peak memory (max RSS of that child) is that of a real `mirmodules run`.

    python benchmarks/bench_tcga_scale.py                       # defaults, gaussian generator
    python benchmarks/bench_tcga_scale.py --noise-model negbin  # the second generator
    python benchmarks/bench_tcga_scale.py --scaling             # the cost-growth table (pan-cancer last)
    python benchmarks/bench_tcga_scale.py --pan-cancer          # 9,000 x 20,000 x 700 alone
    python benchmarks/bench_tcga_scale.py -- --preset paper     # flags after -- go to `run`
    python benchmarks/bench_tcga_scale.py --predicted-pairs 200000  # with a predicted table
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from mirmodules import reachable_members, read_modules, recovery_scores, simulate_cohort

#: (n_mrnas, n_samples) of the cost-growth table: mRNAs at 424 samples, then samples at 17,000
SCALING_SHAPES = [(2000, 424), (5000, 424), (17000, 424), (40000, 424), (17000, 100), (17000, 2000)]
#: The pan-cancer shape (TCGA: about 9,000 tumours, 20,000 mRNAs, 700 miRNAs): last row of --scaling.
PAN_CANCER = (20000, 9000, 700)


def measure(work: Path, *, n_samples: int, n_mirnas: int, n_mrnas: int, n_modules: int,
            false_positive_rate: float, seed: int, noise_model: str, run_args: list[str],
            verbose: bool = True, predicted_pairs: int | None = None) -> dict:
    """Simulate one cohort, run `mirmodules run` on it in a child process, return the figures."""
    start = time.perf_counter()
    cohort = simulate_cohort(
        n_samples=n_samples, n_mirnas=n_mirnas, n_mrnas=n_mrnas,
        n_modules=n_modules, mirnas_per_module=(3, 8), mrnas_per_module=(20, 80),
        false_positive_rate=false_positive_rate, seed=seed, noise_model=noise_model,
        missing_rate=0.1 if noise_model == "gaussian" else 0.3,
        **({"predicted_chance_pairs": predicted_pairs} if predicted_pairs else {}),
    )
    paths = cohort.write(work / "data")
    if verbose:
        print(f"simulated and wrote cohort in {time.perf_counter() - start:.1f} s -> {work / 'data'}")
    out = work / "run"
    cmd = [sys.executable, "-m", "mirmodules.cli", "-q", "run", "--mirna", str(paths["mirna"]),
           "--mrna", str(paths["mrna"]), "--interactions", str(paths["interactions"]),
           "--out", str(out), "--overwrite", "--seed", str(seed), *run_args,
           *(["--predicted", str(paths["predicted"])] if predicted_pairs else [])]
    if verbose:
        print("running:", " ".join(cmd[1:]))
    # the child's peak RSS: run it through /usr/bin/time-like accounting in a fresh process
    probe = [sys.executable, "-c", (
        "import resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
        "sys.exit(p.returncode)"), *cmd]
    start = time.perf_counter()
    proc = subprocess.run(probe, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr, sep="\n")
        raise SystemExit(proc.returncode)
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    manifest = json.loads((out / "manifest.json").read_text())
    scores = recovery_scores(cohort.truth, read_modules(out))
    used = pd.read_csv(out / "interactions_used.tsv", sep="\t")
    scores["reachable"] = float(reachable_members(cohort.truth, used)["ceiling"].mean())
    return {"manifest": manifest, "wall": wall, "peak_mib": peak_kib / 1024, "scores": scores}


def _print_run(result: dict, args: argparse.Namespace) -> None:
    manifest, scores = result["manifest"], result["scores"]
    print(f"\nshape: {args.n_mirnas} miRNAs x {args.n_mrnas} mRNAs x {args.n_samples} samples; "
          f"torch threads {manifest['platform']['torch_threads']}, cpu count {os.cpu_count()}")
    print(f"{'stage':34s} {'seconds':>8s}")
    for stage, secs in manifest["seconds"].items():
        print(f"{stage:34s} {secs:8.1f}")
    print(f"{'total wall (process)':34s} {result['wall']:8.1f}")
    print(f"peak memory (max RSS of the run): {result['peak_mib']:.0f} MiB")
    print("training:", json.dumps(manifest["training"]))
    print("clustering:", json.dumps(manifest["clustering"]))
    print(f"modules found {int(scores['n_found'])}; planted {int(scores['n_truth'])}; "
          f"recovery (mean best-match Jaccard) {scores['recovery']:.3f} (reachable ceiling "
          f"{scores['reachable']:.3f}); relevance {scores['relevance']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-samples", type=int, default=424)
    parser.add_argument("--n-mirnas", type=int, default=432)
    parser.add_argument("--n-mrnas", type=int, default=17000)
    parser.add_argument("--n-modules", type=int, default=15)
    parser.add_argument("--false-positive-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise-model", default="gaussian", choices=["gaussian", "negbin", "programmes"],
                        help="planted-module generator (see mirmodules.inputs.simulate)")
    parser.add_argument("--scaling", action="store_true",
                        help=f"the cost-growth table over (mRNAs, samples) = {SCALING_SHAPES}")
    parser.add_argument("--pan-cancer", action="store_true",
                        help=f"only the pan-cancer shape (mRNAs, samples, miRNAs) = {PAN_CANCER}")
    parser.add_argument("--max-samples", type=int, default=None,
                        help="with --scaling: skip the shapes with more samples than this (the "
                        "2,000-sample and pan-cancer rows take about 4 and 5 minutes, plus "
                        "simulating and writing their files)")
    parser.add_argument("--min-samples", type=int, default=None,
                        help="with --scaling: skip the shapes with fewer samples than this")
    parser.add_argument("--workdir", default=None, help="keep files here (default: a temp folder)")
    parser.add_argument("--predicted-pairs", type=int, default=None, metavar="N",
                        help="also give the run the cohort's predicted table with N chance pairs "
                        "(besides the pairs inside the planted modules): the cost of --predicted")
    parser.add_argument("run_args", nargs="*", help="extra flags for `mirmodules run` (after --)")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="mirmodules_bench_"))
    common = {"n_mirnas": args.n_mirnas, "n_modules": args.n_modules,
              "false_positive_rate": args.false_positive_rate, "seed": args.seed,
              "noise_model": args.noise_model, "run_args": args.run_args}
    if not args.scaling and not args.pan_cancer:
        result = measure(work, n_samples=args.n_samples, n_mrnas=args.n_mrnas,
                         predicted_pairs=args.predicted_pairs, **common)
        _print_run(result, args)
        if args.predicted_pairs:
            print("predicted:", json.dumps(result["manifest"].get("predicted")))
        return
    print(f"{'mRNAs':>6s} {'samples':>7s} {'wall s':>7s} {'peak MiB':>8s} {'read':>5s} {'AE':>6s} "
          f"{'K-means':>7s} {'write':>5s} {'K':>4s} {'pools':>5s} {'recovery':>8s}")
    shapes = [(m, n, args.n_mirnas) for m, n in SCALING_SHAPES] if args.scaling else []
    rows = [(m, n, k) for m, n, k in [*shapes, PAN_CANCER]
            if (args.max_samples is None or n <= args.max_samples)
            and (args.min_samples is None or n >= args.min_samples)]
    for n_mrnas, n_samples, n_mirnas in rows:
        result = measure(work / f"{n_mrnas}x{n_samples}", n_samples=n_samples, n_mrnas=n_mrnas,
                         verbose=False, **{**common, "n_mirnas": n_mirnas})
        sec = result["manifest"]["seconds"]
        k = result["manifest"]["clustering"]["mrna"]["k"]
        pools = "x".join(str(p) for p in result["manifest"]["training"]["mrna"]["pools"])
        print(f"{n_mrnas:6d} {n_samples:7d} {result['wall']:7.1f} {result['peak_mib']:8.0f} "
              f"{sec['read_inputs']:5.1f} {sec['stage1_autoencoder_mrna']:6.1f} "
              f"{sec['stage2_kmeans_mrna']:7.1f} {sec['write_outputs']:5.1f} {k:4d} {pools:>5s} "
              f"{result['scores']['recovery']:8.3f}", flush=True)
    # where the memory goes at the largest shape: the run's peak RSS after each stage
    marks = result["manifest"].get("peak_rss_mib", {})
    print("peak RSS after each stage (MiB), last shape:",
          ", ".join(f"{stage} {mib:.0f}" for stage, mib in marks.items()))


if __name__ == "__main__":
    main()
