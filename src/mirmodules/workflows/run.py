"""``mirmodules run``: read the input files, run MICA and record the inputs' SHA-256 in the manifest."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from mirmodules import _memory
from mirmodules.config import MicaConfig
from mirmodules.inputs.prepared import input_records, prepare_from_files
from mirmodules.methods.mica.pipeline import MicaResult, run_mica

logger = logging.getLogger(__name__)


def run_from_files(
    mirna_path: str | Path,
    mrna_path: str | Path,
    interactions_path: str | Path,
    *,
    mirbase_paths: Sequence[str | Path] = (),
    gene_map_path: str | Path | None = None,
    config: MicaConfig | None = None,
    progress: bool = False,
    predicted_paths: Sequence[str | Path] = (),
) -> MicaResult:
    """Read the input files, run MICA and record the inputs' SHA-256 in the manifest.

    ``predicted_paths``: predicted-target tables (``--predicted``), graded evidence that may add
    module members (:mod:`mirmodules.methods.predicted`)."""
    config = config or MicaConfig()
    _memory.reset()
    prepared, _, timings = prepare_from_files(
        mirna_path, mrna_path, interactions_path, mirbase_paths=mirbase_paths,
        gene_map_path=gene_map_path, config=config, predicted_paths=predicted_paths,
    )
    result = run_mica(prepared, config=config, progress=progress, timings=timings)
    manifest = {
        **result.manifest,
        "inputs": input_records(mirna_path, mrna_path, interactions_path, mirbase_paths, gene_map_path,
                                predicted_paths),
    }
    return replace(result, manifest=manifest)
