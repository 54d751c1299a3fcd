"""MICA's wall time with 1 and 2 threads, on an idle machine and while another process keeps one
core busy (what a shared 2-core machine looks like), to choose the default of `--threads`.

    python benchmarks/threads_under_load.py
"""

from __future__ import annotations

import subprocess
import sys
import time
import warnings

from mirmodules import MicaConfig, simulate_cohort
from mirmodules.inputs.prepared import prepare_inputs
from mirmodules.methods.mica.pipeline import run_mica

BUSY = "import time\nend = time.time() + 3600\nwhile time.time() < end:\n    pass\n"


def main() -> None:
    cohort = simulate_cohort(seed=0, noise_model="negbin")
    prepared = prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions, config=MicaConfig())
    with warnings.catch_warnings():  # warm-up: imports and first-call costs out of the timings
        warnings.simplefilter("ignore")
        run_mica(prepared, config=MicaConfig(seed=0, threads=1, max_steps=20))
    print(f"{'load':10s} {'threads':>7s} {'wall s':>7s}")
    for load in ("idle", "one busy"):
        hog = subprocess.Popen([sys.executable, "-c", BUSY]) if load == "one busy" else None
        try:
            for threads in (1, 2):
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    run_mica(prepared, config=MicaConfig(seed=0, threads=threads))
                print(f"{load:10s} {threads:7d} {time.perf_counter() - start:7.1f}", flush=True)
        finally:
            if hog is not None:
                hog.kill()


if __name__ == "__main__":
    main()
