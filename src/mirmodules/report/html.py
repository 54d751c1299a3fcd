"""A single self-contained HTML page of one or more evaluations (figures embedded as PNG)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mirmodules.evaluation.evaluate import Evaluation

__all__ = ["build_report", "module_overview"]

logger = logging.getLogger(__name__)

#: The page's Jinja2 template (package data).
TEMPLATE = files("mirmodules.report") / "templates" / "report.html.j2"


def _figure_data(ax: Any) -> str:
    import matplotlib.pyplot as plt

    fig = ax.figure
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _html_table(frame: pd.DataFrame, *, text_columns: Sequence[str] = ()) -> str:
    def fmt(value: Any) -> str:
        if isinstance(value, bool | np.bool_):
            return "yes" if value else "no"
        if isinstance(value, float | np.floating):
            value = float(value)
            if np.isnan(value):
                return "&ndash;"
            return (
                f"{value:.3g}" if abs(value) < 1e-3 and value != 0 else f"{value:.3f}".rstrip("0").rstrip(".")
            )
        return str(value)

    from markupsafe import escape

    head = "".join(
        f'<th class="{"text" if c in text_columns else ""}">{escape(c)}</th>' for c in frame.columns
    )
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, row, strict=True):
            shown = fmt(value)
            shown = shown if shown == "&ndash;" else str(escape(shown))
            cells.append(f'<td class="{"text" if col in text_columns else ""}">{shown}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


#: What the confidence column means, in plain words (the report's module table).
CONFIDENCE_LEGEND = (
    "Sorted by confidence: the share of the run's internal reruns (K-means runs, or seeds) in which "
    "the module came back. 1.00 means every rerun found it; a module found in only half of them may "
    "be an accident of where the clustering cut and deserves less trust. A rerun of the whole "
    "analysis with another seed (mirmodules stability) measures the same thing more thoroughly."
)


def module_overview(evaluation: Evaluation) -> pd.DataFrame:
    """One row per module: topology, best family, enriched terms, significance, survival."""
    table = evaluation.topology.copy()
    ids = table["module_id"]
    fam = evaluation.family_enrichment
    if fam is not None:
        best = fam.sort_values("q_value").drop_duplicates("module_id").set_index("module_id")
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
    if evaluation.significance is not None:
        sig = evaluation.significance.set_index("module_id")
        for col in ("q_rewired", "q_shuffled"):
            table[col] = ids.map(sig[col])
    if evaluation.survival is not None:
        surv = evaluation.survival.summary.set_index("module_id")
        for col in ("hr", "logrank_p", "cv_hr", "cv_logrank_p"):
            table[col] = ids.map(surv[col])
    return table


def _signal_rank(overview: pd.DataFrame, evaluation: Evaluation) -> pd.Series:
    opts = evaluation.options
    score = pd.Series(0.0, index=overview.index)
    if "family_q" in overview:
        score += (overview["family_q"] < opts.family_q).astype(float)
    if "n_enriched_terms" in overview:
        score += (overview["n_enriched_terms"] > 0).astype(float)
    if "logrank_p" in overview:
        score += (overview["logrank_p"] < opts.survival_p).astype(float)
        score += (overview["cv_logrank_p"] < opts.survival_p).astype(float)
    return score


def report_warnings(evaluations: Sequence[Evaluation], manifest: Mapping[str, Any] | None) -> list[str]:
    """What a reader of the report should know before trusting it (the report's warnings panel).

    Every warning recorded in the run's manifest (``warnings``) and raised by the current command
    (:mod:`mirmodules._warnings_log`); from the run's manifest: more than 5% of the miRNA or mRNA
    ids dropped, an autoencoder stopped
    by its budget, K chosen by a fallback rule, changed inputs; from the evaluations: modules that
    share all their miRNAs, fewer than 3 modules.

    Examples
    --------
    >>> counts = {"mirna_ids_in_expression": 100, "mirna_ids_dropped_unmatched": 9}
    >>> report_warnings([], {"counts": counts})[0][:60]
    '9 of 100 miRNA ids of the expression file (9%) were dropped '
    >>> report_warnings([], {"clustering": {"mrna": {"rule": "kneedle", "k": 12}}})[0][:50]
    'K for the mrnas (12) came from the kneedle fallbac'
    """
    from mirmodules._warnings_log import collected

    out: list[str] = []
    manifest = manifest or {}
    # every warning the run (manifest) and this command raised, then the checks below
    for message in [*(manifest.get("warnings") or []), *collected()]:
        if isinstance(message, str) and message not in out:
            out.append(message)
    counts = manifest.get("counts", {})
    n_mir = counts.get("mirna_ids_in_expression", 0)
    amb, unm = counts.get("mirna_ids_dropped_ambiguous", 0), counts.get("mirna_ids_dropped_unmatched", 0)
    if n_mir and amb + unm > 0.05 * n_mir:
        share = 100 * (amb + unm) / n_mir
        out.append(f"{amb + unm} of {n_mir} miRNA ids of the expression file ({share:.0f}%) were dropped "
                   f"({amb} ambiguous, {unm} unmatched); see id_harmonisation.tsv.")
    n_mrna = counts.get("mrna_ids_in_expression", 0)
    lost = counts.get("mrna_ids_dropped_unmatched", 0) + counts.get("mrna_ids_dropped_ambiguous", 0)
    if n_mrna and lost > 0.05 * n_mrna:
        out.append(f"{lost} of {n_mrna} mRNA ids ({100 * lost / n_mrna:.0f}%) are not in the gene map and "
                   "were dropped.")
    for kind, info in manifest.get("training", {}).items():
        if info.get("stop_reason") not in (None, "early_stopping"):
            out.append(f"The {kind} autoencoder stopped by its {info['stop_reason'].replace('_', ' ')} "
                       "budget before early stopping (see the loss curve); check that modules hold "
                       "across seeds (mirmodules stability).")
    for kind, info in manifest.get("clustering", {}).items():
        if info.get("rule") in ("kneedle", "max_second_difference"):
            out.append(f"K for the {kind}s ({info.get('k')}) came from the {info['rule']} fallback: "
                       "the elbow rule found no candidate.")
    for item in manifest.get("changed_inputs", []) or []:
        out.append(f"The {item.get('role')} file {item.get('path')} changed after the run "
                   "(evaluated with --allow-changed-inputs).")
    for e in evaluations:
        groups = e.modules.groups()
        by_mirnas: dict[tuple[str, ...], int] = {}
        for mirnas, _ in groups.values():
            by_mirnas[tuple(mirnas)] = by_mirnas.get(tuple(mirnas), 0) + 1
        shared = sum(n for n in by_mirnas.values() if n > 1)
        if shared:
            out.append(f"{e.method}: {shared} modules share all their miRNAs with another module.")
        if len(groups) < 3:
            out.append(f"{e.method}: only {len(groups)} module(s); enrichment and survival rates of so "
                       "few modules say little.")
    return out


def build_report(
    evaluations: Sequence[Evaluation],
    out_path: str | Path,
    *,
    mirna_expression: pd.DataFrame | None = None,
    run_tables: Mapping[str, pd.DataFrame] | None = None,
    manifest: Mapping[str, Any] | None = None,
    title: str = "mirmodules report",
    max_module_sections: int = 20,
    comparison: pd.DataFrame | None = None,
) -> Path:
    """Write ``report.html``: summary table, figures, module tables and sections, thresholds.

    Parameters
    ----------
    evaluations
        One per method; the first one's modules get detail sections.
    out_path
        The HTML file to write.
    mirna_expression
        Analysed miRNA profiles (for the risk-group expression figure).
    run_tables
        Optional ``sse_curve`` and ``training_history`` tables of a MICA run.
    manifest
        The run manifest, shown at the end of the page.
    max_module_sections
        Detail sections are written for at most this many modules of the first method, those with
        the most signals (family, term, survival) first.
    comparison
        A method comparison table (``comparison.tsv``), shown with run times and recovery.
    """
    from jinja2 import Environment

    from mirmodules._versions import mirmodules_version
    from mirmodules.report import plots

    if not evaluations:
        msg = "build_report needs at least one evaluation."
        raise ValueError(msg)
    primary = evaluations[0]
    summary = pd.concat([e.summary() for e in evaluations], ignore_index=True)
    figures = []
    run_tables = run_tables or {}
    run_figures = (
        (
            "sse_curve",
            plots.plot_sse_curve,
            "K choice, {}: K-means SSE (and silhouette) by K; circles mark candidates, red the chosen K.",
        ),
        (
            "training_history",
            plots.plot_training_loss,
            "Autoencoder training, {}: training and validation loss at each validation check, by "
            "optimiser step (early stopping on validation).",
        ),
    )
    for name, plot, caption in run_figures:
        if name not in run_tables:
            continue
        for kind, table in run_tables[name].groupby("kind", sort=False):
            if name == "sse_curve" and len(table) < 2:  # one K (sqrt rule) or not clustered: no curve
                continue
            label = "miRNAs" if kind == "mirna" else "mRNAs"
            figures.append({"caption": caption.format(label), "data": _figure_data(plot(table, title=label))})
    figures.append(
        {
            "caption": "Cumulative distribution of module density (paper Fig. 5).",
            "data": _figure_data(plots.plot_density_cdf({e.method: e.topology for e in evaluations})),
        }
    )
    if primary.family_enrichment is not None or primary.term_enrichment is not None:
        figures.append(
            {
                "caption": "Share of modules with an enriched miRNA family / GO-KEGG term (paper Fig. 6).",
                "data": _figure_data(plots.plot_enrichment_by_method(summary)),
            }
        )
    if primary.term_enrichment is not None:
        figures.append(
            {
                "caption": "Cumulative distribution of enriched terms per module (paper Fig. 7).",
                "data": _figure_data(
                    plots.plot_enriched_terms_cdf({e.method: e.terms_per_module() for e in evaluations})
                ),
            }
        )

    module_tables: list[dict[str, str]] = []
    for e in evaluations:
        overview = module_overview(e)
        measured = "confidence" in overview and overview["confidence"].notna().any()
        if measured:
            overview = overview.sort_values(["confidence", "module_id"], ascending=[False, True])
        module_tables.append(
            {
                "method": e.method,
                "legend": CONFIDENCE_LEGEND if measured else "",
                "table": _html_table(overview if measured else overview.drop(columns="confidence",
                                                                              errors="ignore"),
                                     text_columns=("module_id", "best_family", "best_term")),
            }
        )

    sections: list[dict[str, Any]] = []
    overview = module_overview(primary)
    order = overview.assign(_rank=_signal_rank(overview, primary)).sort_values(
        ["_rank", "module_id"], ascending=[False, True]
    )
    chosen = order["module_id"].head(max_module_sections).tolist()
    module_groups = primary.modules.groups()
    for mid in chosen:
        row = overview.set_index("module_id").loc[mid]
        figs = [
            {
                "caption": "miRNAs (red) and their validated targets (blue) in the module (Fig. 8).",
                "data": _figure_data(plots.plot_module_network(primary.modules, mid)),
            }
        ]
        line = (
            f"{int(row['n_mirnas'])} miRNAs, {int(row['n_mrnas'])} mRNAs, "
            f"{int(row['n_edges'])} interactions, "
            f"density {row['density']:.3f}"
        )
        if pd.notna(row.get("mean_correlation", np.nan)):
            line += f", mean miRNA-mRNA correlation {row['mean_correlation']:.3f}"
        if primary.survival is not None:
            scores = primary.survival.risk_scores
            scores = scores[scores["module_id"] == mid]
            surv_row = primary.survival.summary.set_index("module_id").loc[mid].to_dict()
            if scores["risk_group"].ne("").all():
                figs.append(
                    {
                        "caption": "Kaplan-Meier, in-sample risk score split at the median (Fig. 10).",
                        "data": _figure_data(plots.plot_kaplan_meier(scores, surv_row)),
                    }
                )
            if scores["cv_risk_group"].ne("").all():
                figs.append(
                    {
                        "caption": "Kaplan-Meier, cross-validated risk score (each patient scored by a model "
                        "fitted without them).",
                        "data": _figure_data(
                            plots.plot_kaplan_meier(scores, surv_row, group_column="cv_risk_group")
                        ),
                    }
                )
            if mirna_expression is not None and scores["risk_group"].ne("").all():
                mirs = [m for m in module_groups[mid][0] if m in mirna_expression.index][:25]
                figs.append(
                    {
                        "caption": "Expression of the module's miRNAs in the high- and low-risk "
                        "groups (Fig. 9).",
                        "data": _figure_data(
                            plots.plot_risk_group_expression(scores, mirna_expression, mirs)
                        ),
                    }
                )
            if surv_row.get("note"):
                line += f". Survival note: {surv_row['note']}"
        fam_html = terms_html = ""
        if primary.family_enrichment is not None:
            fam = primary.family_enrichment
            fam = fam[(fam["module_id"] == mid) & fam["enriched"]]
            if len(fam):
                fam_html = _html_table(
                    fam[
                        [
                            "family_id",
                            "family_name",
                            "members",
                            "n_in_module",
                            "family_size",
                            "p_value",
                            "q_value",
                        ]
                    ],
                    text_columns=("family_id", "family_name", "members"),
                )
        if primary.term_enrichment is not None:
            terms = primary.term_enrichment
            terms = terms[(terms["module_id"] == mid) & terms["significant"]].sort_values("p_value").head(10)
            if len(terms):
                terms_html = _html_table(
                    terms[
                        [
                            "collection",
                            "term_id",
                            "term_name",
                            "n_in_module",
                            "term_size",
                            "p_value",
                            "q_value",
                        ]
                    ],
                    text_columns=("collection", "term_id", "term_name"),
                )
        sections.append(
            {
                "anchor": f"module-{mid}",
                "title": f"{primary.method} {mid}",
                "line": line,
                "figures": figs,
                "families": fam_html,
                "terms": terms_html,
            }
        )

    first = summary.iloc[0]

    def card(value: Any, label: str) -> dict[str, str]:
        # the template escapes card text: a dash as a character, not as an HTML entity
        shown = "\u2013" if value is None or (isinstance(value, float) and np.isnan(value)) else value
        return {"value": shown if isinstance(shown, str) else f"{shown:g}", "label": label}

    cards = [
        card(float(first["n_modules"]), "modules"),
        card(round(float(first["mean_mirnas"]), 2), "mean miRNAs per module"),
        card(round(float(first["mean_mrnas"]), 2), "mean mRNAs per module"),
        card(round(float(first["mean_density"]), 3), "mean density"),
        card(float(first["n_family_enriched"]), "family-enriched modules"),
        card(float(first["n_term_enriched"]), "modules with an enriched term"),
        card(float(first["n_prognostic"]), "prognostic modules (in-sample)"),
        card(float(first["n_cv_prognostic"]), "prognostic modules (cross-validated)"),
        card(float(first["n_significant"]), "significant modules (rewired and shuffled nulls)"),
    ]
    if len(summary) > 1:  # a comparison: one headline card per method, the same numbers for each

        def number(row: pd.Series, column: str, digits: int = 0) -> str:
            value = row.get(column)
            if value is None or (isinstance(value, float) and np.isnan(value)):
                return "\u2013"
            return f"{float(value):.{digits}f}"

        cards = [
            {"value": number(row, "n_modules"),
             "label": (f"{row['method']}: modules; r {number(row, 'mean_correlation', 3)}; family-enriched "
                       f"{number(row, 'n_family_enriched')}; with a term {number(row, 'n_term_enriched')} "
                       f"(lenient {number(row, 'n_term_enriched_lenient')}); prognostic cross-validated "
                       f"{number(row, 'n_cv_prognostic')}")}
            for _, row in summary.iterrows()
        ]
    options = asdict(primary.options)
    options_table = _html_table(
        pd.DataFrame({"setting": list(options), "value": [str(v) for v in options.values()]}),
        text_columns=("setting", "value"),
    )
    input_rows = []
    for e in evaluations[:1]:
        for part, info in e.inputs.items():
            items = info if isinstance(info, list) else [info]
            for item in items:
                input_rows.append({"part": part, "details": ", ".join(f"{k}: {v}" for k, v in item.items())})
    inputs_table = _html_table(
        pd.DataFrame(input_rows, columns=["part", "details"]), text_columns=("part", "details")
    )
    params = (manifest or {}).get("parameters", {})
    html = (
        Environment(autoescape=True)
        .from_string(TEMPLATE.read_text(encoding="utf-8"))
        .render(
            title=title,
            version=mirmodules_version(),
            created=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            methods=[e.method for e in evaluations],
            cards=cards,
            warnings=report_warnings(evaluations, manifest),
            options=primary.options,
            min_mirnas=params.get("min_mirnas", 2),
            min_mrnas=params.get("min_mrnas", 2),
            summary_table=_markup(_html_table(summary, text_columns=("method",))),
            comparison_table=(
                _markup(_html_table(comparison, text_columns=("method",))) if comparison is not None else ""
            ),
            figures=figures,
            module_tables=[{**b, "table": _markup(b["table"])} for b in module_tables],
            module_sections=[
                {**s, "families": _markup(s["families"]), "terms": _markup(s["terms"])} for s in sections
            ],
            details_note=(
                f"{len(sections)} of {len(overview)} {primary.method} modules, those with the most signals "
                "(family, term, survival) first."
            ),
            options_table=_markup(options_table),
            inputs_table=_markup(inputs_table),
            manifest_json=json.dumps(manifest, indent=2, default=str) if manifest else "",
        )
    )
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(html, encoding="utf-8")
    logger.info("report written to %s (%.1f kB)", out_path, out_path.stat().st_size / 1024)
    return out_path


def _markup(html: str) -> Any:
    from markupsafe import Markup

    return Markup(html)
