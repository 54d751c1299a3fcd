"""Writing a run directory (and reading its module table back).

A run directory holds:

==============================  ==============================================================
``modules.tsv``                 ``module_id``, ``feature``, ``kind`` (``mirna`` / ``mrna``)
``module_edges.tsv``            ``module_id``, ``mirna``, ``target``
``module_summary.tsv``          ``module_id``, ``n_mirnas``, ``n_mrnas``, ``n_edges``, ``density``,
                                ``mean_correlation``, ``mean_edge_correlation``, ``confidence``
``clusters.tsv``                ``feature``, ``kind``, ``cluster``
``sse_curve.tsv``               ``kind``, ``k``, ``sse``, ``silhouette``, ``candidate``, ``chosen``
``codes_mrna.tsv.gz``           feature x ``code_1..code_L`` (autoencoder codes)
``codes_mirna.tsv.gz``          same for miRNAs, when they are clustered (``mirna_clustering="kmeans"``)
``training_history.tsv``        ``kind``, ``epoch``, ``step``, ``train_loss``, ``val_loss``, ``seconds``
``interactions_used.tsv``       ``mirna``, ``target``: the interaction universe after mapping
``id_harmonisation.tsv``        ``source``, ``input_id``, ``mirna``, ``status``, ``n_candidates``
``preprocessing.tsv``           the preprocessing step report
``cytoscape_nodes.tsv``         ``node``, ``kind``, ``modules`` (``;``-joined), ``n_modules``
``cytoscape_edges.tsv``         ``source``, ``target``, ``interaction``, ``module_id``, ``correlation``
                                (and ``support_type`` when the interactions had it)
``network.tsv``                 decoupler-style ``source``, ``target``, ``weight`` (= correlation,
                                negative = repression), ``correlation``, ``module_id``,
                                ``interaction`` [, ``support_type``] (see :mod:`mirmodules.store.exports`)
``modules.gmt``                 each module's mRNAs as a gene set (GSEA, gseapy, decoupler)
``module_activity.tsv``         ``module_id``, ``sample``, ``mirna_activity``, ``mrna_activity``,
                                ``repression_score`` (see :mod:`mirmodules.store.exports`)
``modules.graphml``             all modules as one directed graph miRNA -> target (node and edge
                                attributes as in the Cytoscape tables, edge ``weight``)
``manifest.json``               parameters, seeds, versions, input SHA-256, sample order, times
==============================  ==============================================================

Files are written into a temporary sibling folder that is renamed into place at the end, so an
interrupted or failed write leaves no half-written run directory.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from mirmodules import _memory
from mirmodules._warnings_log import collected
from mirmodules.datatypes import EDGE_COLUMNS, EVIDENCE_COLUMNS, MEMBER_COLUMNS, ModuleSet, PreparedInputs
from mirmodules.exceptions import InputDataError
from mirmodules.inputs.io import read_table
from mirmodules.methods.mica.pipeline import MicaResult
from mirmodules.store.exports import module_activity, module_gmt, module_network

logger = logging.getLogger(__name__)


def cytoscape_tables(
    modules: ModuleSet, network: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Node and edge tables for Cytoscape (import as network: source, target; nodes as table).

    With ``network`` (:func:`~mirmodules.store.exports.module_network`), edges carry its
    ``correlation`` (and ``support_type``)."""
    members = modules.members
    nodes = (
        members.groupby(["feature", "kind"], sort=True)["module_id"]
        .agg(lambda s: ";".join(sorted(set(s))))
        .reset_index()
        .rename(columns={"feature": "node", "module_id": "modules"})
    )
    nodes["n_modules"] = nodes["modules"].str.count(";") + 1
    edges = modules.edges.rename(columns={"mirna": "source", "target": "target"})
    edges = edges.assign(interaction="represses")[["source", "target", "interaction", "module_id"]]
    if network is not None:
        extra = [c for c in ("correlation", "support_type", *EVIDENCE_COLUMNS) if c in network]
        edges = edges.merge(network[["source", "target", "module_id", *extra]],
                            on=["source", "target", "module_id"], how="left")
    return nodes.reset_index(drop=True), edges.reset_index(drop=True)


def module_graph(modules: ModuleSet, network: pd.DataFrame | None = None) -> nx.DiGraph:
    """All modules as one directed graph miRNA -> target; node attrs ``kind``, ``modules``,
    ``n_modules``; edge attrs ``interaction``, ``modules`` and, with ``network``, ``weight`` and
    ``correlation`` (the miRNA-target Pearson r)."""
    nodes, edges = cytoscape_tables(modules, network)
    graph = nx.DiGraph()
    for row in nodes.itertuples(index=False):
        graph.add_node(row.node, kind=row.kind, modules=row.modules, n_modules=int(row.n_modules))
    grouped = edges.groupby(["source", "target"], sort=True)["module_id"].agg(
        lambda s: ";".join(sorted(set(s)))
    )
    first = edges.drop_duplicates(["source", "target"]).set_index(["source", "target"])
    correlation = first["correlation"] if "correlation" in edges else None
    evidence = first["evidence"] if "evidence" in edges else None  # with --predicted
    for (src, tgt), mods in grouped.items():
        attrs: dict[str, Any] = {"interaction": "represses", "modules": mods}
        if correlation is not None and pd.notna(correlation.get((src, tgt))):
            attrs["correlation"] = attrs["weight"] = float(correlation[(src, tgt)])
        if evidence is not None:
            attrs["evidence"] = str(evidence[(src, tgt)])
            score = first["predicted_score"].get((src, tgt))
            if pd.notna(score):
                attrs["predicted_score"] = float(score)
        graph.add_edge(src, tgt, **attrs)
    return graph


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    msg = f"not JSON serialisable: {type(value)}"
    raise TypeError(msg)


def write_module_tables(
    modules: ModuleSet,
    folder: str | Path,
    *,
    mirna_expression: pd.DataFrame | None = None,
    mrna_expression: pd.DataFrame | None = None,
) -> None:
    """Write ``modules.tsv``, ``module_edges.tsv`` and ``module_summary.tsv`` of a module set into
    ``folder`` (created); :func:`read_modules` reads them back.

    With the (scaled) expression matrices the summary also has ``mean_correlation`` (mean Pearson
    r over the module's miRNA x mRNA pairs; repression is negative) and ``mean_edge_correlation``
    (over its interactions)."""
    from mirmodules.evaluation.topology import module_topology

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    modules.members.to_csv(folder / "modules.tsv", sep="\t", index=False)
    modules.edges.to_csv(folder / "module_edges.tsv", sep="\t", index=False)
    if mirna_expression is not None and mrna_expression is not None:
        summary = module_topology(modules, mirna_expression=mirna_expression, mrna_expression=mrna_expression)
    else:
        summary = modules.summary()
    if "evidence" in modules.edges:  # with --predicted: members by the evidence that reaches them
        summary = summary.merge(modules.evidence_counts(), on="module_id", how="left")
    summary.to_csv(folder / "module_summary.tsv", sep="\t", index=False, float_format="%.6g")


def write_module_exports(modules: ModuleSet, folder: str | Path, prepared: PreparedInputs) -> None:
    """The formats other tools read, for one module set: ``network.tsv`` (decoupler), Cytoscape
    node and edge tables, ``modules.graphml``, ``modules.gmt`` and ``module_activity.tsv``
    (``run`` and every method of ``compare`` write the same)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    network = module_network(modules, mirna_expression=prepared.mirna, mrna_expression=prepared.mrna,
                             interactions=prepared.interactions)
    network.to_csv(folder / "network.tsv", sep="\t", index=False)
    nodes, edges = cytoscape_tables(modules, network)
    nodes.to_csv(folder / "cytoscape_nodes.tsv", sep="\t", index=False)
    edges.to_csv(folder / "cytoscape_edges.tsv", sep="\t", index=False)
    nx.write_graphml(module_graph(modules, network), folder / "modules.graphml")
    (folder / "modules.gmt").write_text(module_gmt(modules), encoding="utf-8")
    module_activity(modules, prepared.mirna, prepared.mrna).to_csv(
        folder / "module_activity.tsv", sep="\t", index=False, float_format="%.4f")


def save_result(
    result: MicaResult,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    extra_tables: dict[str, pd.DataFrame] | None = None,
) -> Path:
    """Write ``result`` as a run directory (see module docstring); return its path.

    The folder is written atomically by :func:`mirmodules.store.atomic.atomic_output`: an existing
    non-empty ``out_dir`` is replaced only with ``overwrite=True`` and only when mirmodules wrote
    it. ``extra_tables`` (file name -> table) are written into the same folder (e.g.
    ``significance.tsv``).

    Raises
    ------
    InputDataError
        ``out_dir`` is not a folder mirmodules may write (see
        :func:`~mirmodules.store.atomic.check_output_path`).
    """
    from mirmodules.store.atomic import atomic_output

    out = Path(out_dir)
    start = time.perf_counter()
    with atomic_output(out, command="run", overwrite=overwrite) as tmp:
        for name, table in (extra_tables or {}).items():
            table.to_csv(tmp / name, sep="\t", index=False, float_format="%.6g")
        _write_files(result, tmp, start)
    logger.info("wrote run directory %s", out)
    return out


def _write_files(result: MicaResult, tmp: Path, start: float) -> None:
    def tsv(frame: pd.DataFrame, name: str, **kwargs: Any) -> None:
        frame.to_csv(tmp / name, sep="\t", index=kwargs.pop("index", False), **kwargs)

    mods = result.modules
    write_module_tables(mods, tmp, mirna_expression=result.prepared.mirna,
                        mrna_expression=result.prepared.mrna)
    clusters = pd.concat(
        [
            pd.DataFrame({"feature": c.labels.index, "kind": kind, "cluster": c.labels.to_numpy()})
            for kind, c in result.clusterings.items()
        ],
        ignore_index=True,
    )
    tsv(clusters, "clusters.tsv")
    sse = pd.concat(
        [c.sse_curve.assign(kind=kind) for kind, c in result.clusterings.items()], ignore_index=True
    )[["kind", "k", "sse", "silhouette", "candidate", "chosen"]]
    tsv(sse, "sse_curve.tsv", float_format="%.8g")
    for kind, codes in result.codes.items():
        # mtime 0: the same seed gives byte-identical gzip files (no timestamp in the header);
        # level 1: a third of level 9's time at TCGA size, for files 10-15% larger
        codes.rename_axis("feature").to_csv(
            tmp / f"codes_{kind}.tsv.gz", sep="\t", float_format="%.6g",
            compression={"method": "gzip", "mtime": 0, "compresslevel": 1},
        )
    history = pd.concat(list(result.histories.values()), ignore_index=True)
    history = history.rename(columns={"modality": "kind"})[
        ["kind", "epoch", "step", "train_loss", "val_loss", "seconds"]
    ]
    tsv(history, "training_history.tsv", float_format="%.6g")
    tsv(result.prepared.interactions, "interactions_used.tsv")
    tsv(result.prepared.harmonisation, "id_harmonisation.tsv")
    tsv(result.prepared.preprocessing, "preprocessing.tsv")
    if result.predicted_candidates is not None:
        tsv(result.predicted_candidates, "predicted_candidates.tsv", float_format="%.6g")
    write_module_exports(mods, tmp, result.prepared)
    manifest = dict(result.manifest)
    manifest["seconds"] = {
        **manifest.get("seconds", {}),
        "write_outputs": round(time.perf_counter() - start, 3),
    }
    _memory.mark("write_outputs")
    manifest["peak_rss_mib"] = _memory.marks()
    manifest["files"] = [*sorted(p.name for p in tmp.iterdir()), "manifest.json"]
    manifest["warnings"] = [*manifest.get("warnings", []),
                            *(w for w in collected() if w not in manifest.get("warnings", []))]
    (tmp / "manifest.json").write_text(
        json.dumps(manifest, indent=2, default=_json_default) + "\n", encoding="utf-8"
    )


def read_modules(path: str | Path) -> ModuleSet:
    """Read a ``modules.tsv`` (or a run directory holding one, with its ``module_edges.tsv``)."""
    path = Path(path)
    folder = path if path.is_dir() else None
    if folder is not None:
        path = folder / "modules.tsv"
    members = read_table(path, what="Module table", dtype=str, literal=True)
    missing = [c for c in MEMBER_COLUMNS if c not in members]
    if missing:
        msg = f"Module table {path} lacks column(s) {missing}; expected {MEMBER_COLUMNS}."
        raise InputDataError(msg)
    bad = sorted(set(members["kind"]) - {"mirna", "mrna"})
    if bad:
        msg = f"Module table {path}: column 'kind' must be 'mirna' or 'mrna'; found {bad[:5]}."
        raise InputDataError(msg)
    edge_path = path.parent / "module_edges.tsv"
    edges = (
        read_table(edge_path, what="Module edges", dtype=str, literal=True)
        if edge_path.exists()
        else pd.DataFrame(columns=["module_id", "mirna", "target"])
    )
    missing = [c for c in ("module_id", "mirna", "target") if c not in edges]
    if missing:
        msg = (f"Module edges {edge_path} lack column(s) {missing}; expected module_id, mirna, target "
               "(the file `mirmodules run` writes).")
        raise InputDataError(msg)
    confidence = None
    summary_path = path.parent / "module_summary.tsv"
    if summary_path.exists():
        summary = read_table(summary_path, what="Module summary", dtype={"module_id": str})
        if {"module_id", "confidence"} <= set(summary.columns) and summary["confidence"].notna().any():
            confidence = pd.to_numeric(summary.set_index("module_id")["confidence"], errors="coerce")
    evidence = [c for c in EVIDENCE_COLUMNS if c in edges]  # runs with --predicted
    if "predicted_score" in edges:
        edges = edges.assign(predicted_score=pd.to_numeric(edges["predicted_score"], errors="coerce"))
    edges = edges[[*EDGE_COLUMNS, *evidence]]
    return ModuleSet(members=members[MEMBER_COLUMNS], edges=edges, confidence=confidence)
