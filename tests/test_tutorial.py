"""docs/tutorial.md, executed: every shell and Python block in order, on the real TCGA GBM data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _shared import SHARED_DATA, shared_file

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial.md"


def blocks() -> list[tuple[str, str]]:
    return re.findall(r"```(bash|python)\n(.*?)```", TUTORIAL.read_text(encoding="utf-8"), flags=re.S)


def test_the_tutorial_has_blocks_of_both_kinds():
    kinds = [kind for kind, _ in blocks()]
    assert kinds.count("bash") >= 4 and kinds.count("python") >= 2


@pytest.mark.slow  # about 1-2 minutes; .ci/run runs it after the default suite
def test_the_tutorial_runs_from_data_to_report(tmp_path):
    shared_file("stategra_gbm_verhaak", "GBM_mrna_expression.tsv.gz")
    env = {**os.environ, "MIRMODULES_SHARED_DATA": str(SHARED_DATA), "OMP_NUM_THREADS": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    outputs = []
    for kind, code in blocks():
        command = ["bash", "-euo", "pipefail", "-c", code] if kind == "bash" else [sys.executable, "-c", code]
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
                              check=False)
        assert done.returncode == 0, f"tutorial {kind} block failed:\n{code}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout)
    text = "\n".join(outputs)
    assert "hsa-miR-21-5p" in text  # the arm-less array name mapped onto its dominant arm
    assert (tmp_path / "gbm_evaluation" / "report.html").stat().st_size > 10_000
    assert (tmp_path / "gbm_run" / "modules.gmt").read_text().count("\n") >= 1
