"""Which modules to follow up, and why: one row per module with its hub miRNAs, top targets and
the signals it carries (``follow_up.tsv``, the report's module cards).

A module's *signals* are the strict statistics only, each counted once:

* ``confidence`` >= :data:`CONFIDENT` (it came back in most of the run's internal reruns);
* an enriched miRNA family (BH q below the evaluation's ``family_q``);
* at least one enriched GO/KEGG term by the strict rule (BH q and overlap);
* cross-validated survival (log-rank p of the out-of-fold risk score below ``survival_p``);
* significance against both nulls (rewired network and shuffled expression), when computed.

Modules are ranked by their number of signals, then confidence, then the mean miRNA-mRNA
correlation (more negative first). In-sample survival is never a signal: with a module's many
covariates it is optimistic (the paper's criterion stays in ``survival.tsv`` as ``prognostic``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirmodules.datatypes import ModuleGroups
from mirmodules.evaluation.evaluate import Evaluation

__all__ = ["CONFIDENT", "FOLLOW_UP_COLUMNS", "follow_up_table", "hub_degrees", "module_overview"]

#: Confidence from which "came back in the internal reruns" counts as a signal.
CONFIDENT = 0.8

FOLLOW_UP_COLUMNS = [
    "rank",
    "module_id",
    "n_signals",
    "signals",
    "confidence",
    "n_mirnas",
    "n_mrnas",
    "n_mrnas_predicted_only",
    "mean_correlation",
    "hub_mirnas",
    "top_targets",
    "best_family",
    "family_q",
    "best_term",
    "term_q",
    "cv_hr",
    "cv_logrank_p",
    "reasons",
]


def module_overview(evaluation: Evaluation) -> pd.DataFrame:
    """One row per module: topology, best family, enriched terms, significance, survival."""
    table = evaluation.topology.copy()
    ids = table["module_id"]
    fam = evaluation.family_enrichment
    if fam is not None:
        # an enriched family first (two or more of the module's miRNAs, EvaluationOptions), then q
        best = (fam.sort_values(["enriched", "q_value"], ascending=[False, True])
                .drop_duplicates("module_id").set_index("module_id"))
        label = (
            best["family_name"]
            + " ("
            + best["n_in_module"].astype(str)
            + "/"
            + best["n_module_annotated"].astype(str)
            + ")"
        )
        table["best_family"] = ids.map(label).fillna("")
        table["family_q"] = ids.map(best["q_value"])
        table["family_enriched"] = ids.isin(best.index[best["enriched"].astype(bool)])
    terms = evaluation.term_enrichment
    if terms is not None:
        table["n_enriched_terms"] = (
            ids.map(evaluation.terms_per_module().set_index("module_id")["n_enriched_terms"])
            .fillna(0)
            .astype(int)
        )
        best = terms.sort_values("p_value").drop_duplicates("module_id").set_index("module_id")
        table["best_term"] = ids.map(
            best["term_name"].where(best["term_name"] != "", best["term_id"])
        ).fillna("")
        table["term_p"] = ids.map(best["p_value"])
        table["term_q"] = ids.map(best["q_value"])
    if evaluation.significance is not None:
        sig = evaluation.significance.set_index("module_id")
        for col in ("q_rewired", "q_shuffled"):
            table[col] = ids.map(sig[col])
    if evaluation.survival is not None:
        surv = evaluation.survival.summary.set_index("module_id")
        for col in ("cv_hr", "cv_logrank_p", "hr", "logrank_p"):
            table[col] = ids.map(surv[col])
    return table


def hub_degrees(
    evaluation: Evaluation, module_id: str, kind: str, *, groups: ModuleGroups | None = None
) -> pd.Series:
    """A module's miRNAs (``kind="mirna"``) or targets (``"target"``) by their number of
    interactions inside the module, most first (ties by name). ``groups``: the module set's
    :meth:`~mirmodules.datatypes.ModuleSet.groups`, when the caller has them already."""
    edges = evaluation.modules.edges
    edges = edges[edges["module_id"] == module_id]
    degree = edges.groupby(kind).size()
    groups = groups if groups is not None else evaluation.modules.groups()
    members = groups[module_id][0 if kind == "mirna" else 1]
    degree = degree.reindex(members, fill_value=0)
    order = sorted(degree.index, key=lambda name: (-int(degree[name]), str(name)))
    return degree.loc[order].astype(int)


def _top(degree: pd.Series, n: int) -> str:
    shown = [f"{name} ({count})" for name, count in degree.head(n).items()]
    if len(degree) > n:
        shown.append(f"+{len(degree) - n} more")
    return "; ".join(shown)


def follow_up_table(evaluation: Evaluation, *, n_hubs: int = 3, n_targets: int = 5) -> pd.DataFrame:
    """The modules ranked for follow-up, each with its hubs, targets, signals and reasons.

    ``n_mrnas_predicted_only``: the mRNAs that joined through predicted targets alone (0 without
    them). ``hub_mirnas`` / ``top_targets``: the ``n_hubs`` miRNAs and ``n_targets`` mRNAs with the most
    interactions inside the module (count in brackets). ``reasons`` says in words which signals
    the module carries (module docstring); ``n_signals`` counts them.
    """
    opts = evaluation.options
    overview = module_overview(evaluation)
    if overview.empty:
        return pd.DataFrame(columns=FOLLOW_UP_COLUMNS)
    predicted_only = evaluation.modules.evidence_counts().set_index("module_id")["n_mrnas_predicted_only"]
    significant = evaluation.significant_modules()
    groups = evaluation.modules.groups()
    rows = []
    for _, row in overview.iterrows():
        mid = row["module_id"]
        reasons, tags = [], []
        confidence = row.get("confidence", np.nan)
        if pd.notna(confidence) and confidence >= CONFIDENT:
            reasons.append(f"came back in {confidence:.0%} of the internal reruns")
            tags.append("confidence")
        if bool(row.get("family_enriched", False)):  # q below family_q with >= 2 module miRNAs
            reasons.append(f"miRNA family {row['best_family']} enriched (q {row['family_q']:.2g})")
            tags.append("family")
        if row.get("n_enriched_terms", 0) > 0:
            reasons.append(
                f"{int(row['n_enriched_terms'])} enriched GO/KEGG term(s), best {row['best_term']} "
                f"(q {row['term_q']:.2g})"
            )
            tags.append("GO/KEGG")
        if pd.notna(row.get("cv_logrank_p", np.nan)) and row["cv_logrank_p"] < opts.survival_p:
            reasons.append(
                f"cross-validated survival: log-rank p {row['cv_logrank_p']:.2g}, HR {row['cv_hr']:.2f}"
            )
            tags.append("survival (CV)")
        if significant.get(mid, False):
            reasons.append("beats rewired networks and shuffled expression")
            tags.append("significant")
        rows.append(
            {
                "module_id": mid,
                "n_signals": len(reasons),
                "signals": ", ".join(tags),
                "confidence": confidence,
                "n_mirnas": int(row["n_mirnas"]),
                "n_mrnas": int(row["n_mrnas"]),
                "n_mrnas_predicted_only": int(predicted_only.get(mid, 0)),
                "mean_correlation": row.get("mean_correlation", np.nan),
                "hub_mirnas": _top(hub_degrees(evaluation, mid, "mirna", groups=groups), n_hubs),
                "top_targets": _top(hub_degrees(evaluation, mid, "target", groups=groups), n_targets),
                "best_family": row.get("best_family", ""),
                "family_q": row.get("family_q", np.nan),
                "best_term": row.get("best_term", ""),
                "term_q": row.get("term_q", np.nan),
                "cv_hr": row.get("cv_hr", np.nan),
                "cv_logrank_p": row.get("cv_logrank_p", np.nan),
                "reasons": "; ".join(reasons) if reasons else "no strict signal",
            }
        )
    table = pd.DataFrame(rows)
    table["_confidence"] = table["confidence"].fillna(-1.0)
    table["_correlation"] = table["mean_correlation"].fillna(0.0)
    table = table.sort_values(
        ["n_signals", "_confidence", "_correlation", "module_id"],
        ascending=[False, False, True, True],
        kind="mergesort",
    )
    table["rank"] = np.arange(1, len(table) + 1)
    return table[FOLLOW_UP_COLUMNS].reset_index(drop=True)
