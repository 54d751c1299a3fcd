"""Dask batch: 3 simulated cohorts x 2 methods x 5 seeds, wall time with 1 vs 2 local workers, and resume.

Writes the cohorts and a plan under --work, runs the batch into a fresh folder with 1 worker, then
with 2 workers, then again on the 2-worker folder (every task must be skipped), then after deleting
three finished task folders (only those three must run).

    python benchmarks/batch_scaling.py --work /tmp/batch_bench
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from mirmodules import simulate_cohort
from mirmodules.workflows.batch import load_plan, run_batch


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", default="batch_bench")
    parser.add_argument("--methods", default="mica,mirsynergy")
    args = parser.parse_args()
    work = Path(args.work)
    if work.exists():
        shutil.rmtree(work)
    lines = [f"methods = {args.methods.split(',')!r}".replace("'", '"'), "seeds = [0, 1, 2, 3, 4]", ""]
    for s in (1, 2, 3):
        cohort = simulate_cohort(n_samples=80, n_mirnas=60, n_mrnas=800, n_modules=4, seed=s)
        paths = cohort.write(work / f"cohort{s}")
        lines += [
            "[[cohorts]]",
            f'name = "cohort{s}"',
            f'mirna = "{paths["mirna"]}"',
            f'mrna = "{paths["mrna"]}"',
            f'interactions = "{paths["interactions"]}"',
            "",
        ]
    (work / "plan.toml").write_text("\n".join(lines))
    plan = load_plan(work / "plan.toml")
    print(f"{len(plan.tasks())} tasks: 3 cohorts x {len(plan.methods)} methods x 5 seeds")
    for workers in (1, 2):
        start = time.perf_counter()
        summary = run_batch(plan, work / f"out_{workers}", workers=workers)
        print(
            f"{workers} worker(s): {time.perf_counter() - start:.1f} s wall (cluster start included); "
            f"status {summary['status'].value_counts().to_dict()}; "
            f"task seconds by method {summary.groupby('method')['seconds'].sum().round(1).to_dict()}"
        )
    start = time.perf_counter()
    again = run_batch(plan, work / "out_2", workers=2)
    print(
        f"rerun on the finished folder: {time.perf_counter() - start:.1f} s; "
        f"status {again['status'].value_counts().to_dict()}"
    )
    for task in plan.tasks()[:3]:
        shutil.rmtree(work / "out_2" / task.key)
    start = time.perf_counter()
    resumed = run_batch(plan, work / "out_2", workers=2)
    print(
        f"after deleting 3 task folders: {time.perf_counter() - start:.1f} s; "
        f"status {resumed['status'].value_counts().to_dict()}"
    )
    print((work / "out_2" / "stability.tsv").read_text())


if __name__ == "__main__":
    main()
