"""Data types every stage shares: the prepared inputs of a run and the module set every method returns.

Column schemas of the module tables: :data:`MEMBER_COLUMNS` (``modules.tsv``),
:data:`EDGE_COLUMNS` (``module_edges.tsv``) and :data:`SUMMARY_COLUMNS`."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)

#: Module id -> (its miRNAs, its mRNAs), each sorted: :meth:`ModuleSet.groups`, and the modules
#: before refinement that a join records (:attr:`~mirmodules.methods.join.JoinedModules.cores`)
ModuleGroups = dict[str, tuple[list[str], list[str]]]


@dataclass(frozen=True)
class PreparedInputs:
    """Inputs ready for any module-finding method (MICA or a baseline).

    Attributes
    ----------
    mirna, mrna
        Scaled profiles, features x samples, columns in the analysis sample order.
    interactions
        Columns ``mirna``, ``target``: pairs whose both ends are analysed features.
    harmonisation
        One row per (input miRNA id, mapped name); see
        :func:`~mirmodules.inputs.identifiers.harmonise_mirna_ids`.
    preprocessing
        The preprocessing step report of both modalities.
    counts
        What was kept and removed at each step (samples, ids, interactions).
    """

    mirna: pd.DataFrame
    mrna: pd.DataFrame
    interactions: pd.DataFrame
    harmonisation: pd.DataFrame
    preprocessing: pd.DataFrame
    counts: dict[str, Any] = field(default_factory=dict)
    #: Predicted pairs (``--predicted``) between analysed features: ``mirna``, ``target``,
    #: ``score`` (as in the strongest source), ``strength`` (the pair's percentile within its
    #: source, the highest over sources; 1 = the source's strongest pair) and ``n_sources``;
    #: ``None`` without predictions
    predicted: pd.DataFrame | None = None

    @property
    def samples(self) -> list[str]:
        """The analysis sample order."""
        return list(self.mirna.columns)


MEMBER_COLUMNS = ["module_id", "feature", "kind"]


EDGE_COLUMNS = ["module_id", "mirna", "target"]
#: Edge columns that runs with predicted targets add: ``evidence`` (``validated``, ``predicted``
#: or ``both``) and ``predicted_score`` (the source's raw score, empty when not predicted).
EVIDENCE_COLUMNS = ["evidence", "predicted_score"]


SUMMARY_COLUMNS = ["module_id", "n_mirnas", "n_mrnas", "n_edges", "density", "confidence"]


@dataclass(frozen=True)
class ModuleSet:
    """A set of miRNA regulatory modules, in tidy tables.

    Attributes
    ----------
    members
        Columns ``module_id``, ``feature``, ``kind`` (``mirna`` or ``mrna``).
    edges
        Columns ``module_id``, ``mirna``, ``target``: the interactions inside each module.
    """

    members: pd.DataFrame
    edges: pd.DataFrame
    #: Module id -> how often the module reappeared across the run's internal reruns (share in
    #: [0, 1]); ``None`` when the method made no reruns to count
    confidence: pd.Series | None = None

    @property
    def n_modules(self) -> int:
        """Number of modules."""
        return int(self.members["module_id"].nunique())

    def summary(self) -> pd.DataFrame:
        """Per module: ``n_mirnas``, ``n_mrnas``, ``n_edges``, ``density`` (= edges / (miRNAs x
        mRNAs)) and ``confidence`` (:attr:`confidence`; NaN when not measured)."""
        if self.members.empty:
            return pd.DataFrame(columns=SUMMARY_COLUMNS)
        counts = self.members.groupby(["module_id", "kind"]).size().unstack(fill_value=0)
        counts = counts.reindex(columns=["mirna", "mrna"], fill_value=0)
        n_edges = self.edges.groupby("module_id").size().reindex(counts.index, fill_value=0)
        out = pd.DataFrame({
            "module_id": counts.index,
            "n_mirnas": counts["mirna"].to_numpy(),
            "n_mrnas": counts["mrna"].to_numpy(),
            "n_edges": n_edges.to_numpy(),
        })
        out["density"] = out["n_edges"] / (out["n_mirnas"] * out["n_mrnas"])
        out["confidence"] = self.confidence_of().reindex(out["module_id"]).to_numpy()
        return out.reset_index(drop=True)[SUMMARY_COLUMNS]

    def predicted_only_mrnas(self) -> dict[str, list[str]]:
        """Per module, its mRNAs that only predicted targets link to its miRNAs (runs with
        predicted targets, whose edges carry ``evidence``; empty lists otherwise)."""
        ids = self.summary()["module_id"]
        edges = self.edges
        if "evidence" not in edges:
            return {m: [] for m in ids}
        reached = edges.groupby("module_id")["target"].apply(set)
        validated = edges[edges["evidence"] != "predicted"].groupby("module_id")["target"].apply(set)
        return {m: sorted(reached.get(m, set()) - validated.get(m, set())) for m in ids}

    def evidence_counts(self) -> pd.DataFrame:
        """Per module, its mRNAs by the evidence that links them to its miRNAs:
        ``n_mrnas_validated`` (a validated interaction, predicted too or not) and
        ``n_mrnas_predicted_only`` (:meth:`predicted_only_mrnas`)."""
        only = self.predicted_only_mrnas()
        reached = self.edges.groupby("module_id")["target"].nunique()
        ids = list(only)
        return pd.DataFrame({
            "module_id": ids,
            "n_mrnas_validated": [int(reached.get(m, 0)) - len(only[m]) for m in ids],
            "n_mrnas_predicted_only": [len(only[m]) for m in ids],
        })

    def confidence_of(self) -> pd.Series:
        """Each module's confidence (NaN for every module when none was measured), by module id."""
        ids = pd.Index(sorted(self.members["module_id"].unique()), name="module_id")
        if self.confidence is None:
            return pd.Series(float("nan"), index=ids, name="confidence", dtype=float)
        return self.confidence.reindex(ids).rename("confidence").astype(float)

    def with_min_confidence(self, min_confidence: float) -> ModuleSet:
        """The modules whose confidence is at least ``min_confidence`` (ids kept as they are; a
        module without a measured confidence is kept)."""
        scores = self.confidence_of()
        drop = set(scores.index[scores < min_confidence])
        if not drop:
            return self
        keep_members = ~self.members["module_id"].isin(drop)
        keep_edges = ~self.edges["module_id"].isin(drop)
        return ModuleSet(self.members[keep_members].reset_index(drop=True),
                         self.edges[keep_edges].reset_index(drop=True),
                         None if self.confidence is None else self.confidence.drop(list(drop)))

    def groups(self) -> ModuleGroups:
        """Module id -> (its miRNAs, its mRNAs), each sorted; modules in id order."""
        out: ModuleGroups = {}
        for module_id, group in self.members.groupby("module_id", sort=True):
            kinds = group["kind"].to_numpy()
            features = group["feature"].to_numpy()
            out[str(module_id)] = (sorted(features[kinds == "mirna"]), sorted(features[kinds == "mrna"]))
        return out

    def as_sets(self) -> dict[str, frozenset[str]]:
        """Module id -> set of all member features (miRNAs and mRNAs)."""
        return {m: frozenset(g["feature"]) for m, g in self.members.groupby("module_id", sort=True)}


def _numbered_order(candidates: list[tuple[list[str], list[str], list[tuple[str, str]]]]) -> list[int]:
    """Positions of ``candidates`` in module-id order: decreasing size, then edges, then members."""
    return sorted(range(len(candidates)), key=lambda i: (
        -(len(candidates[i][0]) + len(candidates[i][1])), -len(candidates[i][2]), candidates[i][0],
        candidates[i][1]))


def _module_id(number: int, n_modules: int) -> str:
    """``M001``-style id of the ``number``-th (from 1) of ``n_modules`` modules."""
    return f"M{number:0{max(3, len(str(n_modules)))}d}"


def _numbered_module_set(candidates: list[tuple[list[str], list[str], list[tuple[str, str]]]],
                         order: list[int] | None = None,
                         confidence: list[float] | None = None) -> ModuleSet:
    """Number modules M001... by decreasing size, then edges, then members (deterministic);
    ``order``: :func:`_numbered_order` of ``candidates`` when the caller has it already;
    ``confidence``: one value per candidate, carried to :attr:`ModuleSet.confidence`."""
    order = _numbered_order(candidates) if order is None else order
    candidates = [candidates[i] for i in order]
    ids = [_module_id(i, len(candidates)) for i in range(1, len(candidates) + 1)]
    scores = (pd.Series([float(confidence[i]) for i in order], index=pd.Index(ids, name="module_id"),
                        name="confidence", dtype=float)
              if confidence is not None else None)
    member_rows, edge_rows = [], []
    for i, (mirnas, mrnas, module_edges) in enumerate(candidates, start=1):
        module_id = _module_id(i, len(candidates))
        member_rows += [(module_id, m, "mirna") for m in mirnas]
        member_rows += [(module_id, t, "mrna") for t in mrnas]
        edge_rows += [(module_id, m, t) for m, t in module_edges]
    return ModuleSet(
        members=pd.DataFrame(member_rows, columns=MEMBER_COLUMNS),
        edges=pd.DataFrame(edge_rows, columns=EDGE_COLUMNS),
        confidence=scores,
    )


def module_set_from_groups(
    groups: Iterable[tuple[Iterable[str], Iterable[str]]],
    interactions: pd.DataFrame,
    *,
    min_mirnas: int = 2,
    min_mrnas: int = 2,
    confidence: Iterable[float] | None = None,
) -> ModuleSet:
    """Modules from (miRNAs, mRNAs) groups, the way every method's output is made comparable.

    Duplicated groups are kept once; groups with fewer than ``min_mirnas`` miRNAs or ``min_mrnas``
    mRNAs are dropped; edges are the interactions between each group's miRNAs and mRNAs; ids are
    numbered as in :func:`modules_from_clusters`.

    >>> import pandas as pd
    >>> inter = pd.DataFrame({"mirna": ["a", "b", "a"], "target": ["x", "y", "z"]})
    >>> groups = [(["b", "a"], ["x", "y"]), (["a", "b"], ["y", "x"]), (["a"], ["z", "x"])]
    >>> ms = module_set_from_groups(groups, inter)
    >>> ms.n_modules, ms.edges["target"].tolist()
    (1, ['x', 'y'])
    """
    pairs = interactions[["mirna", "target"]].drop_duplicates()
    seen: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    candidates, kept_scores = [], []
    groups = list(groups)
    scores = [float("nan")] * len(groups) if confidence is None else [float(c) for c in confidence]
    for (mirnas, mrnas), score in zip(groups, scores, strict=True):
        key = (tuple(sorted(set(mirnas))), tuple(sorted(set(mrnas))))
        if key in seen or len(key[0]) < min_mirnas or len(key[1]) < min_mrnas:
            continue
        seen.add(key)
        inside = pairs[pairs["mirna"].isin(key[0]) & pairs["target"].isin(key[1])]
        module_edges = sorted(zip(inside["mirna"], inside["target"], strict=True))
        candidates.append((list(key[0]), list(key[1]), module_edges))
        kept_scores.append(score)
    return _numbered_module_set(candidates, confidence=kept_scores if confidence is not None else None)


def module_set_from_members(members: pd.DataFrame, interactions: pd.DataFrame | None = None) -> ModuleSet:
    """Build a :class:`ModuleSet` from a members table (e.g. a ``modules.tsv``).

    Edges are the given interactions between each module's miRNAs and mRNAs (empty without them).
    """
    missing = [c for c in MEMBER_COLUMNS if c not in members]
    if missing:
        from mirmodules.exceptions import InputDataError

        msg = f"Module table lacks column(s) {missing}; expected {MEMBER_COLUMNS}."
        raise InputDataError(msg)
    members = members[MEMBER_COLUMNS].copy()
    rows = []
    if interactions is not None and not members.empty:
        pairs = interactions[["mirna", "target"]].drop_duplicates()
        for mid, group in members.groupby("module_id", sort=True):
            mir = set(group.loc[group["kind"] == "mirna", "feature"])
            tgt = set(group.loc[group["kind"] == "mrna", "feature"])
            inside = pairs[pairs["mirna"].isin(mir) & pairs["target"].isin(tgt)]
            rows += [(mid, m, t) for m, t in zip(inside["mirna"], inside["target"], strict=True)]
    edges = pd.DataFrame(rows, columns=EDGE_COLUMNS)
    return ModuleSet(members=members.reset_index(drop=True), edges=edges)
