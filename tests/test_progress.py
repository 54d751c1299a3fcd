"""Progress of long work: INFO lines with counts and an ETA where stderr is not a terminal (a log
file, a pipe, pytest's capture), nothing when disabled, and no tqdm bar drawn into such output."""

from __future__ import annotations

import logging
import re

from mirmodules import MicaConfig, simulate_cohort
from mirmodules._progress import Progress
from mirmodules.inputs.prepared import prepare_inputs
from mirmodules.workflows.compare import compare_methods
from mirmodules.workflows.stability import stability


def test_progress_logs_counts_eta_and_the_end_when_not_a_terminal(caplog):
    logger = logging.getLogger("mirmodules.test_progress")
    caplog.set_level(logging.INFO, logger=logger.name)
    bar = Progress("stage 1", 4, "steps", enabled=True, logger=logger, interval=0.0)
    assert bar.bar is None  # pytest captures stderr: not a terminal
    bar.update(1, loss=0.5)
    bar.update(2)
    bar.close()
    lines = [r.getMessage() for r in caplog.records]
    assert re.fullmatch(r"stage 1: 1/4 steps \(25%\), \d+ s, ETA \d+ s, loss 0\.5", lines[0])
    assert lines[1].startswith("stage 1: 3/4 steps (75%)")
    assert re.fullmatch(r"stage 1: done, 3 steps in \d+\.\d s", lines[2])


def test_disabled_progress_is_silent(caplog):
    logger = logging.getLogger("mirmodules.test_progress")
    caplog.set_level(logging.INFO, logger=logger.name)
    bar = Progress("stage 1", 4, "steps", enabled=False, logger=logger, interval=0.0)
    bar.update(4)
    bar.close()
    assert caplog.records == []


def test_workflows_report_progress_as_log_lines_not_bars(caplog, capsys):
    cohort = simulate_cohort(n_samples=40, n_mirnas=30, n_mrnas=200, n_modules=2, seed=2)
    prepared = prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions, config=MicaConfig())
    caplog.set_level(logging.INFO, logger="mirmodules.workflows")
    compare_methods(prepared, ["kmeans_pca", "mirsynergy"], progress=True)
    stability(prepared, method="kmeans_pca", n_seeds=1, n_bootstraps=1, n_orders=0, progress=True)
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("methods: done, 2 methods") for m in messages)
    assert any(m.startswith("stability kmeans_pca: done, 2 reruns") for m in messages)
    captured = capsys.readouterr()
    assert "\r" not in captured.err and "it/s" not in captured.err  # no tqdm bar in the output
