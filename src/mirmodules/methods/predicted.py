"""Predicted targets as graded evidence: members that no validated interaction reaches.

Validated interactions decide which modules exist (the join); a predicted pair may then add an
mRNA to a module, never create one, and only with expression support. A gene outside module M
joins M through predictions when

1. *prediction*: at least ``min_mirnas`` of M's miRNAs (all of them when M has fewer) are
   predicted to target it, each pair at or above ``min_strength`` (its percentile within its
   source, :func:`~mirmodules.inputs.prepared.combine_predicted`);
2. *fit*: its correlation with M's mean mRNA profile reaches ``fit_fraction`` of the median of
   M's members' correlations with that profile (the refinement's closeness rule);
3. *repression*: its correlation with M's mean miRNA profile is negative and significant at
   one-sided level ``alpha`` (Fisher's z, :func:`~mirmodules.methods.join.repression_threshold`).

Every edge of the result carries ``evidence`` (``validated``, ``predicted`` or ``both``: a
validated interaction that is also predicted) and ``predicted_score`` (the source's raw score,
empty when not predicted). :func:`expression_support_only` gives the genes that pass 2 and 3
without any predicted pair, the control that separates targeting from co-expressed blocks.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirmodules._random import derive_seed
from mirmodules._validation import check_in_range
from mirmodules.datatypes import EDGE_COLUMNS, EVIDENCE_COLUMNS, MEMBER_COLUMNS, ModuleSet
from mirmodules.exceptions import DataQualityWarning
from mirmodules.methods.join import _standardised_centroid, repression_threshold

__all__ = [
    "PredictedExtension",
    "expression_support",
    "expression_support_only",
    "extend_with_predictions",
]

logger = logging.getLogger(__name__)

#: Columns of :func:`expression_support`.
SUPPORT_COLUMNS = ["gene", "fit_r", "fit_level", "repression_r", "repression_level", "supported", "reason"]
#: Columns of :attr:`PredictedExtension.candidates`.
CANDIDATE_COLUMNS = [
    "module_id",
    "gene",
    "n_predicting_mirnas",
    "fit_r",
    "fit_level",
    "repression_r",
    "repression_level",
    "admitted",
    "reason",
]
#: Genes without a predicted pair sampled per module for the control rate.
CONTROL_GENES = 300
#: Admission rate below this multiple of the control rate is warned about.
MIN_RATE_RATIO = 1.5


@dataclass(frozen=True)
class PredictedExtension:
    """Modules extended through predictions, and what was considered.

    Attributes
    ----------
    modules
        The module set with the admitted mRNAs and the evidence columns on its edges.
    candidates
        One row per (module, gene) considered: ``module_id``, ``gene``, ``n_predicting_mirnas``,
        ``fit_r`` (with the module's mean mRNA profile), ``fit_level``, ``repression_r`` (with the
        mean miRNA profile), ``repression_level``, ``admitted`` and ``reason``.
    """

    modules: ModuleSet
    candidates: pd.DataFrame
    #: Share of the predicted candidates admitted, and of genes without a predicted pair (a
    #: seeded sample, up to :data:`CONTROL_GENES` per module) that pass the same expression
    #: support: predictions add evidence only where the first is clearly above the second
    admission_rate: float = float("nan")
    control_rate: float = float("nan")


def _unpredicted_genes(
    mirnas: list[str], genes: list[str], predicted: pd.DataFrame, z_mrna: pd.DataFrame
) -> pd.Index:
    """The analysed genes outside a module with no predicted pair (of any strength) to its miRNAs."""
    linked = predicted.loc[predicted["mirna"].isin(mirnas), "target"]
    return z_mrna.index[~z_mrna.index.isin(linked) & ~z_mrna.index.isin(genes)]


def _check(min_mirnas: int, min_strength: float, alpha: float, fit_fraction: float) -> None:
    check_in_range(min_mirnas, "predicted_min_mirnas", low=1, integer=True)
    check_in_range(min_strength, "predicted_min_strength", low=0.0, high=1.0)
    check_in_range(alpha, "predicted_alpha", low=0.0, high=0.5, low_inclusive=False)
    check_in_range(fit_fraction, "predicted_fit_fraction", low=0.0, high=1.0)


def expression_support(
    mirnas: list[str],
    genes: list[str],
    candidates: pd.Index,
    z_mirna: pd.DataFrame,
    z_mrna: pd.DataFrame,
    *,
    alpha: float = 0.05,
    fit_fraction: float = 0.5,
) -> pd.DataFrame:
    """Rules 2 and 3 of the module docstring for ``candidates`` of a module with ``mirnas`` and
    ``genes`` (rows of the standardised profiles ``z_mirna``, ``z_mrna``): :data:`SUPPORT_COLUMNS`
    (``supported`` when both rules hold, ``reason`` in words)."""
    candidates = pd.Index(candidates)
    candidates = candidates[candidates.isin(z_mrna.index) & ~candidates.isin(genes)]
    mrna_centre = _standardised_centroid(z_mrna, genes)
    mirna_centre = _standardised_centroid(z_mirna, mirnas)
    if not len(candidates) or mrna_centre is None or mirna_centre is None:
        return pd.DataFrame(columns=SUPPORT_COLUMNS)
    n = z_mrna.shape[1]
    members_r = z_mrna.loc[genes].to_numpy() @ mrna_centre / n
    level = fit_fraction * float(np.median(members_r))
    rows = z_mrna.loc[candidates].to_numpy()
    fit = rows @ mrna_centre / n
    repression = rows @ mirna_centre / n
    threshold = repression_threshold(n, alpha)
    return pd.DataFrame(
        {
            "gene": candidates,
            "fit_r": fit,
            "fit_level": level,
            "repression_r": repression,
            "repression_level": threshold,
            "supported": (fit >= level) & (repression < threshold),
            "reason": np.where(
                fit < level,
                "profile does not fit the module",
                np.where(
                    repression < threshold,
                    "admitted",
                    "not significantly anti-correlated with the module's miRNAs",
                ),
            ),
        },
        columns=SUPPORT_COLUMNS,
    )


def extend_with_predictions(
    modules: ModuleSet,
    predicted: pd.DataFrame,
    z_mirna: pd.DataFrame,
    z_mrna: pd.DataFrame,
    *,
    min_mirnas: int = 1,
    min_strength: float = 0.5,
    alpha: float = 0.05,
    fit_fraction: float = 0.5,
    seed: int = 0,
) -> PredictedExtension:
    """Add the mRNAs that predictions and expression support together admit (module docstring).

    ``predicted``: ``mirna``, ``target``, ``score``, ``strength`` (percentile within the source),
    as :attr:`~mirmodules.datatypes.PreparedInputs.predicted`; ``z_mirna``, ``z_mrna``: the
    profiles' standardised rows. Module ids, confidence and the validated members stay as they
    are; candidates are judged against each module's validated members only (an admitted gene
    does not help admit another). ``seed`` draws the genes of the control rate
    (:attr:`PredictedExtension.control_rate`); a warning says when predicted candidates are
    admitted less than :data:`MIN_RATE_RATIO` times as often as genes without predictions.
    """
    _check(min_mirnas, min_strength, alpha, fit_fraction)
    strong = predicted[predicted["strength"] >= min_strength]
    members = [modules.members]
    new_edges = []
    considered = []
    controls = []
    rng = np.random.default_rng(derive_seed(seed, "predicted_control"))
    groups = modules.groups()
    for mid, (mirs, genes) in groups.items():
        pool = _unpredicted_genes(mirs, genes, predicted, z_mrna)
        if len(pool):
            sample = rng.choice(pool.to_numpy(dtype=object), min(CONTROL_GENES, len(pool)), replace=False)
            controls.append(
                expression_support(
                    list(mirs),
                    list(genes),
                    pd.Index(sample),
                    z_mirna,
                    z_mrna,
                    alpha=alpha,
                    fit_fraction=fit_fraction,
                )["supported"]
            )
        pairs = strong[
            strong["mirna"].isin(mirs) & ~strong["target"].isin(genes) & strong["target"].isin(z_mrna.index)
        ]
        if pairs.empty:
            continue
        n_predicting = pairs.groupby("target")["mirna"].nunique()
        wanted = n_predicting[n_predicting >= min(min_mirnas, len(mirs))]
        if wanted.empty:
            continue
        support = expression_support(
            list(mirs), list(genes), wanted.index, z_mirna, z_mrna, alpha=alpha, fit_fraction=fit_fraction
        )
        support = support.assign(
            module_id=mid, n_predicting_mirnas=wanted.reindex(support["gene"]).to_numpy().astype(int)
        )
        considered.append(support)
        admitted = support.loc[support["supported"], "gene"].tolist()
        if not admitted:
            continue
        members.append(pd.DataFrame({"module_id": mid, "feature": sorted(admitted), "kind": "mrna"}))
        chosen = pairs[pairs["target"].isin(admitted)]
        new_edges.append(
            pd.DataFrame(
                {"module_id": mid, "mirna": chosen["mirna"].to_numpy(), "target": chosen["target"].to_numpy()}
            )
        )
    candidates = (
        pd.concat(considered, ignore_index=True)
        if considered
        else pd.DataFrame(columns=[*SUPPORT_COLUMNS, "module_id", "n_predicting_mirnas"])
    )
    candidates = candidates.rename(columns={"supported": "admitted"})[CANDIDATE_COLUMNS]
    all_members = pd.concat(members, ignore_index=True)[MEMBER_COLUMNS]
    validated = modules.edges[EDGE_COLUMNS].assign(_validated=True)
    added = (
        pd.concat(new_edges, ignore_index=True) if new_edges else pd.DataFrame(columns=EDGE_COLUMNS)
    ).assign(_validated=False)
    edges = pd.concat([validated, added], ignore_index=True)
    scores = predicted.set_index(["mirna", "target"])["score"]
    key = pd.MultiIndex.from_frame(edges[["mirna", "target"]])
    edges["predicted_score"] = scores.reindex(key).to_numpy()
    is_predicted = edges["predicted_score"].notna().to_numpy()
    edges["evidence"] = np.where(
        edges["_validated"], np.where(is_predicted, "both", "validated"), "predicted"
    )
    edges = edges.drop(columns="_validated")
    # members and edges in the module set's usual order: by module, then by name
    order = {mid: i for i, mid in enumerate(groups)}

    def in_order(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        key = lambda col: col.map(order) if col.name == "module_id" else col  # noqa: E731
        return frame.sort_values(columns, key=key, kind="mergesort").reset_index(drop=True)

    all_members = in_order(all_members, ["module_id", "kind", "feature"])
    edges = in_order(edges, ["module_id", "mirna", "target"])
    n_added = int(candidates["admitted"].sum())
    logger.info(
        "predicted targets: %d genes considered for %d modules, %d admitted (at least %d predicting "
        "miRNAs at strength >= %.2f, fit >= %.2f x the members' median, repression at alpha %.3g)",
        len(candidates),
        candidates["module_id"].nunique(),
        n_added,
        min_mirnas,
        min_strength,
        fit_fraction,
        alpha,
    )
    admission_rate = n_added / len(candidates) if len(candidates) else float("nan")
    tested = pd.concat(controls, ignore_index=True) if controls else pd.Series(dtype=bool)
    control_rate = float(tested.mean()) if len(tested) else float("nan")
    if len(candidates) and np.isfinite(control_rate) and admission_rate < MIN_RATE_RATIO * control_rate:
        warnings.warn(
            f"Predicted candidates pass the expression support hardly more often than genes without a "
            f"prediction ({100 * admission_rate:.1f}% of {len(candidates)} against {100 * control_rate:.1f}% "
            f"of {len(tested)}): in these data the predictions do not enrich for repressed genes, and the "
            f"{n_added} members they add are chosen mostly by expression. Check them (held-out samples, "
            "docs: benchmarks, predicted targets) or compare with the run without --predicted.",
            DataQualityWarning,
            stacklevel=2,
        )
    extended = ModuleSet(all_members, edges[[*EDGE_COLUMNS, *EVIDENCE_COLUMNS]], modules.confidence)
    return PredictedExtension(extended, candidates.reset_index(drop=True), admission_rate, control_rate)


def expression_support_only(
    modules: ModuleSet,
    predicted: pd.DataFrame,
    z_mirna: pd.DataFrame,
    z_mrna: pd.DataFrame,
    *,
    alpha: float = 0.05,
    fit_fraction: float = 0.5,
) -> pd.DataFrame:
    """The control: per module, the genes outside it that pass the expression support (rules 2
    and 3) without any predicted pair to the module's miRNAs. Columns ``module_id``, ``gene`` and
    those of :func:`expression_support`."""
    _check(1, 0.0, alpha, fit_fraction)
    rows = []
    for mid, (mirs, genes) in modules.groups().items():
        pool = _unpredicted_genes(mirs, genes, predicted, z_mrna)
        support = expression_support(
            list(mirs), list(genes), pool, z_mirna, z_mrna, alpha=alpha, fit_fraction=fit_fraction
        )
        rows.append(support[support["supported"]].assign(module_id=mid))
    if not rows:
        return pd.DataFrame(columns=["module_id", "gene"])
    return pd.concat(rows, ignore_index=True)
