"""AnnData (.h5ad) and MuData (.h5mu) in and out (optional: ``pip install "mirmodules[anndata]"``).

In: wherever an expression file is expected, give ``FILE.h5ad`` or ``FILE.h5mu``, optionally
followed by ``::`` and ``/``-separated options::

    data.h5mu::mirna                  the 'mirna' modality of a MuData file, its X
    data.h5mu::rna/layer=counts       the 'rna' modality, layer 'counts'
    data.h5ad::var=gene_symbol        an AnnData file, feature ids from var['gene_symbol']

Without a modality, a MuData file's modality is chosen from the role: for miRNAs the one whose
name contains "mir", for mRNAs the one named rna, mrna, gene or gex (else the only other one).
Observations are samples, variables are features (AnnData's convention), so the matrix is read
transposed into mirmodules' features x samples.

Out: :func:`annotate_mudata` writes a copy of the run's MuData/AnnData input with per-sample module
activity in ``obsm["mirmodules_activity"]`` (samples x modules, the ``repression_score`` of
``module_activity.tsv``) and each feature's modules in ``var["mirmodules_modules"]``
(``;``-joined ids, empty when in none). The input file is never modified.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mirmodules.exceptions import InputDataError

logger = logging.getLogger(__name__)

SUFFIXES = (".h5ad", ".h5mu")


def is_anndata_spec(path: str | Path) -> bool:
    """True for ``FILE.h5ad`` / ``FILE.h5mu`` with or without ``::options``."""
    return str(path).split("::", 1)[0].lower().endswith(SUFFIXES)


def _parse_spec(spec: str) -> tuple[Path, str | None, dict[str, str]]:
    file_part, _, rest = str(spec).partition("::")
    modality, options = None, {}
    for token in filter(None, rest.split("/")):
        if "=" in token:
            key, value = token.split("=", 1)
            if key not in ("layer", "var"):
                msg = f"Unknown option {key!r} in {spec!r}; use layer=NAME or var=COLUMN."
                raise InputDataError(msg)
            options[key] = value
        else:
            modality = token
    return Path(file_part), modality, options


@contextmanager
def _quiet() -> Iterator[None]:
    """MuData 0.3 warns on every read that a future version changes .update(); not our concern."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="mudata")
        yield


def _require(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        msg = (f"Reading and writing .h5ad/.h5mu needs the optional package {module!r}: "
               'pip install "mirmodules[anndata]".')
        raise InputDataError(msg) from err


def _pick_modality(names: list[str], what: str, path: Path) -> str:
    lower = {n.lower(): n for n in names}
    if "mirna" in what.lower():
        found = [n for n in names if "mir" in n.lower()]
    else:
        found = [lower[k] for k in ("rna", "mrna", "gene", "genes", "gex") if k in lower]
        if not found:
            found = [n for n in names if "mir" not in n.lower()]
    if len(found) == 1:
        return found[0]
    msg = (f"{what}: cannot tell which modality of {path} to use (modalities {names}); name it, "
           f"e.g. {path}::{names[0]}.")
    raise InputDataError(msg)


def read_anndata_expression(spec: str | Path, *, what: str = "Expression") -> pd.DataFrame:
    """Features x samples float frame from an .h5ad/.h5mu spec (see the module docstring)."""
    path, modality, options = _parse_spec(str(spec))
    if not path.exists():
        msg = f"{what} file not found: {path}."
        raise InputDataError(msg)
    if path.suffix.lower() == ".h5mu":
        mudata = _require("mudata")
        with _quiet():
            mdata = mudata.read_h5mu(path)
        names = list(mdata.mod)
        modality = modality or _pick_modality(names, what, path)
        if modality not in mdata.mod:
            msg = f"{what}: {path} has no modality {modality!r} (it has {names})."
            raise InputDataError(msg)
        adata = mdata.mod[modality]
    else:
        anndata = _require("anndata")
        adata = anndata.read_h5ad(path)
    layer = options.get("layer")
    if layer is not None and layer not in adata.layers:
        msg = f"{what}: {path} has no layer {layer!r} (layers: {list(adata.layers)})."
        raise InputDataError(msg)
    matrix = adata.layers[layer] if layer is not None else adata.X
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    var_column = options.get("var")
    if var_column is not None and var_column not in adata.var:
        msg = f"{what}: {path} has no var column {var_column!r} (columns: {list(adata.var.columns)})."
        raise InputDataError(msg)
    features = adata.var[var_column].astype(str) if var_column else adata.var_names.astype(str)
    frame = pd.DataFrame(np.asarray(matrix, dtype=np.float64).T, index=pd.Index(features),
                         columns=pd.Index(adata.obs_names.astype(str)))
    if np.isinf(frame.to_numpy()).any():
        msg = f"{what}: {spec} holds infinite values; expression must be finite numbers."
        raise InputDataError(msg)
    dup = frame.index[frame.index.duplicated()].unique()
    if len(dup):
        msg = f"{what}: {spec} has duplicated feature ids, e.g. {list(dup[:3])}; choose a var column."
        raise InputDataError(msg)
    logger.info("read %s %s: %d features x %d samples", what, spec, *frame.shape)
    return frame


def annotate_mudata(run_dir: str | Path, out_path: str | Path) -> Path:
    """Write a copy of a run's AnnData/MuData input with its modules and module activity.

    The run must have read its mRNA (or miRNA) expression from an .h5mu/.h5ad spec (recorded in
    its manifest). ``out_path`` must not exist and must not be the input.
    """
    run = Path(run_dir)
    manifest = json.loads((run / "manifest.json").read_text())
    specs = [manifest.get("inputs", {}).get(role, {}).get("path", "") for role in ("mrna", "mirna")]
    spec = next((s for s in specs if is_anndata_spec(s)), None)
    if spec is None:
        msg = f"The run in {run} did not read an .h5ad/.h5mu file; nothing to annotate."
        raise InputDataError(msg)
    source, _, _ = _parse_spec(spec)
    out = Path(out_path)
    if out.exists() or out.resolve() == source.resolve():
        msg = f"{out} exists (or is the input); give a new file name."
        raise InputDataError(msg)
    members = pd.read_csv(run / "modules.tsv", sep="\t", dtype=str)
    activity = pd.read_csv(run / "module_activity.tsv", sep="\t")
    wide = activity.pivot(index="sample", columns="module_id", values="repression_score")
    by_feature = members.groupby("feature")["module_id"].agg(lambda s: ";".join(sorted(set(s))))
    # the run renamed miRNA ids to canonical names (id_harmonisation.tsv); map them back
    renamed: dict[str, str] = {}
    harmonisation = run / "id_harmonisation.tsv"
    if harmonisation.exists():
        table = pd.read_csv(harmonisation, sep="\t", dtype=str).dropna(subset=["mirna"])
        table = table[table["source"] == "mirna_expression"]
        renamed = dict(zip(table["input_id"], table["mirna"], strict=True))

    def annotate(adata: Any) -> None:
        adata.obsm["mirmodules_activity"] = wide.reindex(adata.obs_names.astype(str)).to_numpy()
        adata.uns["mirmodules_modules"] = list(wide.columns)
        names = [renamed.get(n, n) for n in adata.var_names.astype(str)]
        adata.var["mirmodules_modules"] = by_feature.reindex(names).fillna("").to_numpy()

    if source.suffix.lower() == ".h5mu":
        mudata = _require("mudata")
        with _quiet():
            mdata = mudata.read_h5mu(source)
            for adata in mdata.mod.values():
                annotate(adata)
            mdata.obsm["mirmodules_activity"] = wide.reindex(mdata.obs_names.astype(str)).to_numpy()
            mdata.uns["mirmodules_modules"] = list(wide.columns)
            mdata.write(out)
    else:
        anndata = _require("anndata")
        adata = anndata.read_h5ad(source)
        annotate(adata)
        adata.write_h5ad(out)
    logger.info("annotated %s written to %s", source, out)
    return out
