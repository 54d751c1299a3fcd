"""Start-up time of the command line: median of 5 runs of `mirmodules --help`, `--version` and
every subcommand's `--help` (the CLI imports heavy libraries only in the subcommand that needs them).

    python benchmarks/cli_startup.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

COMMANDS = [["--help"], ["--version"], *[[c, "--help"] for c in
            ("run", "simulate", "evaluate", "compare", "stability", "batch", "annotate", "demo")]]


def main() -> None:
    for args in COMMANDS:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "mirmodules", *args], check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        print(f"mirmodules {' '.join(args):22s} median {statistics.median(times):.3f} s "
              f"(min {min(times):.3f}, max {max(times):.3f})")


if __name__ == "__main__":
    main()
