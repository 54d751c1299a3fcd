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
from mirmodules.evaluation.follow_up import follow_up_table, hub_degrees, module_overview

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
    # wide tables scroll inside their own box instead of running off the page
    rows = "".join(body)
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'


#: What the confidence column means, in plain words (the report's module table).
CONFIDENCE_LEGEND = (
    "Sorted by confidence: the share of the run's internal reruns (K-means runs, or seeds) in which "
    "the module came back. 1.00 means every rerun found it; a module found in only half of them may "
    "be an accident of where the clustering cut and deserves less trust. A rerun of the whole "
    "analysis with another seed (mirmodules stability) measures the same thing more thoroughly."
)


def report_warnings(evaluations: Sequence[Evaluation], manifest: Mapping[str, Any] | None) -> list[str]:
    """What a reader of the report should know before trusting it (the report's warnings panel).

    Every warning recorded in the run's manifest (``warnings``) and raised by the current command
    (:mod:`mirmodules._warnings_log`); from the run's manifest: more than 5% of the miRNA or mRNA
    ids dropped, K chosen by a fallback rule, changed inputs; from the evaluations: modules that
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
        out.append(
            f"{amb + unm} of {n_mir} miRNA ids of the expression file ({share:.0f}%) were dropped "
            f"({amb} ambiguous, {unm} unmatched); see id_harmonisation.tsv."
        )
    n_mrna = counts.get("mrna_ids_in_expression", 0)
    lost = counts.get("mrna_ids_dropped_unmatched", 0) + counts.get("mrna_ids_dropped_ambiguous", 0)
    if n_mrna and lost > 0.05 * n_mrna:
        out.append(
            f"{lost} of {n_mrna} mRNA ids ({100 * lost / n_mrna:.0f}%) are not in the gene map and "
            "were dropped."
        )
    # an autoencoder stopped by its step budget is in the run's own warnings when its validation
    # loss was still falling (the defaults' budget stops most runs, which is not worth a warning)
    for kind, info in manifest.get("clustering", {}).items():
        if info.get("rule") in ("kneedle", "max_second_difference"):
            out.append(
                f"K for the {kind}s ({info.get('k')}) came from the {info['rule']} fallback: "
                "the elbow rule found no candidate."
            )
    for item in manifest.get("changed_inputs", []) or []:
        out.append(
            f"The {item.get('role')} file {item.get('path')} changed after the run "
            "(evaluated with --allow-changed-inputs)."
        )
    for e in evaluations:
        groups = e.modules.groups()
        by_mirnas: dict[tuple[str, ...], int] = {}
        for mirnas, _ in groups.values():
            by_mirnas[tuple(mirnas)] = by_mirnas.get(tuple(mirnas), 0) + 1
        shared = sum(n for n in by_mirnas.values() if n > 1)
        if shared:
            out.append(f"{e.method}: {shared} modules share all their miRNAs with another module.")
        if len(groups) < 3:
            out.append(
                f"{e.method}: only {len(groups)} module(s); enrichment and survival rates of so "
                "few modules say little."
            )
    return out


#: Modules with more members than this (miRNAs + mRNAs) are drawn as a clustered heat map, not a network.
NETWORK_MAX_NODES = 40
#: miRNAs shown in a module's risk-group box plot (those with the most interactions first).
BOXPLOT_MAX_MIRNAS = 25

_RUN_FIGURES = (
    (
        "sse_curve",
        "plot_sse_curve",
        "K choice, {}: K-means SSE (and silhouette) by K; circles mark candidates, red the chosen K.",
    ),
    (
        "training_history",
        "plot_training_loss",
        "Autoencoder training, {}: training and validation loss at each validation check, by optimiser "
        "step (early stopping on validation).",
    ),
)


def _figure(caption: str, ax: Any) -> dict[str, str]:
    return {"caption": caption, "data": _figure_data(ax)}


def _run_figures(run_tables: Mapping[str, pd.DataFrame]) -> list[dict[str, str]]:
    """The run's own figures: the K choice and the autoencoder's loss."""
    from mirmodules.report import plots

    figures = []
    for name, plot_name, caption in _RUN_FIGURES:
        if name not in run_tables:
            continue
        for kind, table in run_tables[name].groupby("kind", sort=False):
            if name == "sse_curve" and len(table) < 2:  # one K (sqrt rule) or not clustered: no curve
                continue
            label = "miRNAs" if kind == "mirna" else "mRNAs"
            figures.append(_figure(caption.format(label), getattr(plots, plot_name)(table, title=label)))
    return figures


def _evaluation_figures(evaluations: Sequence[Evaluation], summary: pd.DataFrame) -> list[dict[str, str]]:
    """The paper's comparison figures: density, enrichment shares, enriched terms per module."""
    from mirmodules.report import plots

    primary = evaluations[0]
    figures = [
        _figure(
            "Cumulative distribution of module density (paper Fig. 5).",
            plots.plot_density_cdf({e.method: e.topology for e in evaluations}),
        )
    ]
    if primary.family_enrichment is not None or primary.term_enrichment is not None:
        figures.append(
            _figure(
                "Share of modules with an enriched miRNA family / GO-KEGG term (paper Fig. 6).",
                plots.plot_enrichment_by_method(summary),
            )
        )
    if primary.term_enrichment is not None:
        figures.append(
            _figure(
                "Cumulative distribution of enriched terms per module (paper Fig. 7).",
                plots.plot_enriched_terms_cdf({e.method: e.terms_per_module() for e in evaluations}),
            )
        )
    return figures


def _headline_cards(summary: pd.DataFrame) -> list[dict[str, str]]:
    """The summary cards: strict statistics first (cross-validated survival before in-sample)."""
    first = summary.iloc[0]

    def card(value: Any, label: str) -> dict[str, str]:
        # the template escapes card text: a dash as a character, not as an HTML entity
        shown = "\u2013" if value is None or (isinstance(value, float) and np.isnan(value)) else value
        return {"value": shown if isinstance(shown, str) else f"{shown:g}", "label": label}

    if len(summary) == 1:
        return [
            card(float(first["n_modules"]), "modules"),
            card(round(float(first["mean_mirnas"]), 2), "mean miRNAs per module"),
            card(round(float(first["mean_mrnas"]), 2), "mean mRNAs per module"),
            card(round(float(first["mean_density"]), 3), "mean density"),
            card(float(first["n_family_enriched"]), "family-enriched modules"),
            card(float(first["n_term_enriched"]), "modules with an enriched term"),
            card(float(first["n_cv_prognostic"]), "prognostic modules (cross-validated)"),
            card(float(first["n_significant"]), "significant modules (rewired and shuffled nulls)"),
            card(
                float(first["n_prognostic_in_sample"]), "prognostic in-sample (paper's criterion, optimistic)"
            ),
        ]

    def number(row: pd.Series, column: str, digits: int = 0) -> str:
        value = row.get(column)
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "\u2013"
        return f"{float(value):.{digits}f}"

    # a comparison: one headline card per method, the same numbers for each
    return [
        {
            "value": number(row, "n_modules"),
            "label": (
                f"{row['method']}: modules; r {number(row, 'mean_correlation', 3)}; family-enriched "
                f"{number(row, 'n_family_enriched')}; with a term {number(row, 'n_term_enriched')} "
                f"(lenient {number(row, 'n_term_enriched_lenient')}); prognostic cross-validated "
                f"{number(row, 'n_cv_prognostic')}"
            ),
        }
        for _, row in summary.iterrows()
    ]


def _module_tables(evaluations: Sequence[Evaluation]) -> list[dict[str, str]]:
    """Per method, the table of all modules (sorted by confidence where the run measured it)."""
    blocks = []
    for e in evaluations:
        overview = module_overview(e).drop(columns=["term_q"], errors="ignore")
        measured = "confidence" in overview and overview["confidence"].notna().any()
        if measured:
            overview = overview.sort_values(["confidence", "module_id"], ascending=[False, True])
        else:
            overview = overview.drop(columns="confidence", errors="ignore")
        blocks.append(
            {
                "method": e.method,
                "legend": CONFIDENCE_LEGEND if measured else "",
                "table": _html_table(overview, text_columns=("module_id", "best_family", "best_term")),
            }
        )
    return blocks


#: What the follow-up table means, in plain words.
FOLLOW_UP_LEGEND = (
    "Modules ranked for follow-up by their strict signals: came back in most internal reruns "
    "(confidence >= 0.8), an enriched miRNA family, an enriched GO/KEGG term (BH q and overlap), "
    "cross-validated survival, and significance against rewired networks and shuffled expression. "
    "Hub miRNAs and top targets have the most interactions inside the module (count in brackets). "
    "In-sample survival is not a signal: it is optimistic for modules with many members."
)


def _follow_up_blocks(
    evaluations: Sequence[Evaluation], rankings: Sequence[pd.DataFrame]
) -> list[dict[str, str]]:
    blocks = []
    for e, ranked in zip(evaluations, rankings, strict=True):
        table = ranked.drop(columns=["reasons"])
        blocks.append(
            {
                "method": e.method,
                "table": _html_table(
                    table,
                    text_columns=(
                        "module_id",
                        "signals",
                        "hub_mirnas",
                        "top_targets",
                        "best_family",
                        "best_term",
                    ),
                ),
            }
        )
    return blocks


def _structure_figure(
    evaluation: Evaluation,
    mid: str,
    mirna_expression: pd.DataFrame | None,
    mrna_expression: pd.DataFrame | None,
) -> dict[str, str]:
    """A small module as its network; a large one as a clustered heat map (readable at any size)."""
    from mirmodules.report import plots

    mirs, genes = evaluation.modules.groups()[mid]
    predicted = "evidence" in evaluation.modules.edges  # a run with --predicted
    if len(mirs) + len(genes) <= NETWORK_MAX_NODES:
        return _figure(
            "miRNAs (red) and their validated targets (blue) in the module (Fig. 8)"
            + ("; dashed purple: targets that joined through predicted targets." if predicted else "."),
            plots.plot_module_network(evaluation.modules, mid),
        )
    caption = (
        f"The module's {len(mirs)} miRNAs x {len(genes)} mRNAs as a clustered heat map "
        f"(more than {NETWORK_MAX_NODES} members make a network unreadable): "
    )
    caption += (
        "Pearson r of every miRNA-mRNA pair over the samples, blue = negative; dots mark the "
        "module's interactions" + (" (hollow purple: through predicted targets only)." if predicted else ".")
        if mirna_expression is not None and mrna_expression is not None
        else "its interactions."
    )
    return _figure(
        caption,
        plots.plot_module_heatmap(
            evaluation.modules, mid, mirna_expression=mirna_expression, mrna_expression=mrna_expression
        ),
    )


def _survival_figures(
    evaluation: Evaluation, mid: str, mirna_expression: pd.DataFrame | None
) -> list[dict[str, str]]:
    """Kaplan-Meier curves, cross-validated first, and the risk groups' miRNA expression."""
    from mirmodules.report import plots

    if evaluation.survival is None:
        return []
    scores = evaluation.survival.risk_scores
    scores = scores[scores["module_id"] == mid]
    surv_row = evaluation.survival.summary.set_index("module_id").loc[mid].to_dict()
    figures = []
    if len(scores) and scores["cv_risk_group"].ne("").all():
        figures.append(
            _figure(
                "Kaplan-Meier, cross-validated risk score (each patient scored by a model fitted "
                "without them): the honest view.",
                plots.plot_kaplan_meier(scores, surv_row, group_column="cv_risk_group"),
            )
        )
    if len(scores) and scores["risk_group"].ne("").all():
        figures.append(
            _figure(
                "Kaplan-Meier, in-sample risk score split at the median (Fig. 10; optimistic: "
                "the model saw every patient it scores).",
                plots.plot_kaplan_meier(scores, surv_row),
            )
        )
        if mirna_expression is not None:
            ranked = [m for m in hub_degrees(evaluation, mid, "mirna").index if m in mirna_expression.index]
            shown = ranked[:BOXPLOT_MAX_MIRNAS]
            which = (
                f" The {len(shown)} of {len(ranked)} miRNAs with the most interactions in the module."
                if len(ranked) > len(shown)
                else ""
            )
            figures.append(
                _figure(
                    "Expression of the module's miRNAs in the high- and low-risk groups (Fig. 9)." + which,
                    plots.plot_risk_group_expression(scores, mirna_expression, shown),
                )
            )
    return figures


def _enrichment_tables(evaluation: Evaluation, mid: str) -> tuple[str, str]:
    fam_html = terms_html = ""
    if evaluation.family_enrichment is not None:
        fam = evaluation.family_enrichment
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
    if evaluation.term_enrichment is not None:
        terms = evaluation.term_enrichment
        terms = terms[(terms["module_id"] == mid) & terms["significant"]].sort_values("p_value").head(10)
        if len(terms):
            terms_html = _html_table(
                terms[
                    ["collection", "term_id", "term_name", "n_in_module", "term_size", "p_value", "q_value"]
                ],
                text_columns=("collection", "term_id", "term_name"),
            )
    return fam_html, terms_html


def _module_card(row: pd.Series, evaluation: Evaluation) -> list[dict[str, str]]:
    """A module's summary card: what a biologist reads before deciding to follow it up."""
    survival = ""
    if evaluation.survival is not None:
        note = evaluation.survival.summary.set_index("module_id").loc[row["module_id"]].get("note", "")
        survival = (
            f"log-rank p {row['cv_logrank_p']:.2g}, HR {row['cv_hr']:.2f}"
            if pd.notna(row["cv_logrank_p"])
            else "not estimable"
        )
        if isinstance(note, str) and note:
            survival += f" (note: {note})"
    items = [
        ("rank", f"{int(row['rank'])} ({int(row['n_signals'])} strict signal(s))"),
        ("confidence", "not measured" if pd.isna(row["confidence"]) else f"{row['confidence']:.2f}"),
        (
            "size",
            f"{int(row['n_mirnas'])} miRNAs, {int(row['n_mrnas'])} mRNAs"
            + (
                f", mean miRNA-mRNA r {row['mean_correlation']:.3f}"
                if pd.notna(row["mean_correlation"])
                else ""
            ),
        ),
        ("hub miRNAs", row["hub_mirnas"]),
        ("top targets", row["top_targets"]),
        ("best miRNA family", row["best_family"] or "none enriched"),
        ("best GO/KEGG term", row["best_term"] or "none"),
        ("cross-validated survival", survival or "no clinical data"),
        *_predicted_members(evaluation, row["module_id"]),
        ("why follow it up", row["reasons"]),
    ]
    return [{"label": label, "value": str(value)} for label, value in items]


def _predicted_members(evaluation: Evaluation, module_id: str) -> list[tuple[str, str]]:
    """The card line naming the mRNAs that joined through predicted targets (runs with --predicted)."""
    if "evidence" not in evaluation.modules.edges:
        return []
    only = evaluation.modules.predicted_only_mrnas()[module_id]
    shown = ", ".join(only[:12]) + (f" and {len(only) - 12} more" if len(only) > 12 else "")
    label = f"{len(only)} mRNA{'' if len(only) == 1 else 's'}"
    return [("members through predictions", label + (f": {shown}" if only else ""))]


def _module_sections(
    evaluations: Sequence[Evaluation],
    rankings: Sequence[pd.DataFrame],
    max_module_sections: int,
    mirna_expression: pd.DataFrame | None,
    mrna_expression: pd.DataFrame | None,
) -> tuple[list[dict[str, Any]], str]:
    """Detail sections of every method's best-ranked modules (the follow-up order)."""
    sections: list[dict[str, Any]] = []
    notes = []
    for e, ranked in zip(evaluations, rankings, strict=True):
        chosen = ranked.head(max_module_sections)
        notes.append(f"{e.method}: {len(chosen)} of {len(ranked)} modules")
        for _, row in chosen.iterrows():
            mid = row["module_id"]
            figures = [
                _structure_figure(e, mid, mirna_expression, mrna_expression),
                *_survival_figures(e, mid, mirna_expression),
            ]
            families, terms = _enrichment_tables(e, mid)
            sections.append(
                {
                    "anchor": f"module-{e.method}-{mid}",
                    "title": f"{e.method} {mid}",
                    "card": _module_card(row, e),
                    "figures": figures,
                    "families": _markup(families),
                    "terms": _markup(terms),
                }
            )
    note = "; ".join(notes) + ", in the follow-up order (most strict signals first)."
    return sections, note


def _inputs_table(evaluation: Evaluation) -> str:
    rows = []
    for part, info in evaluation.inputs.items():
        for item in info if isinstance(info, list) else [info]:
            rows.append({"part": part, "details": ", ".join(f"{k}: {v}" for k, v in item.items())})
    return _html_table(pd.DataFrame(rows, columns=["part", "details"]), text_columns=("part", "details"))


def build_report(
    evaluations: Sequence[Evaluation],
    out_path: str | Path,
    *,
    mirna_expression: pd.DataFrame | None = None,
    mrna_expression: pd.DataFrame | None = None,
    run_tables: Mapping[str, pd.DataFrame] | None = None,
    manifest: Mapping[str, Any] | None = None,
    title: str = "mirmodules report",
    max_module_sections: int = 20,
    comparison: pd.DataFrame | None = None,
) -> Path:
    """Write ``report.html``: summary, figures, follow-up ranking, module tables and cards, thresholds.

    Parameters
    ----------
    evaluations
        One per method; each method's best-ranked modules get detail sections.
    out_path
        The HTML file to write.
    mirna_expression, mrna_expression
        Analysed profiles (risk-group expression figure; heat maps of large modules).
    run_tables
        Optional ``sse_curve`` and ``training_history`` tables of a MICA run.
    manifest
        The run manifest, shown at the end of the page.
    max_module_sections
        Detail sections per method: the first modules of its follow-up ranking
        (:func:`~mirmodules.evaluation.follow_up.follow_up_table`).
    comparison
        A method comparison table (``comparison.tsv``), shown with run times and recovery.
    """
    from jinja2 import Environment

    from mirmodules._versions import mirmodules_version

    if not evaluations:
        msg = "build_report needs at least one evaluation."
        raise ValueError(msg)
    primary = evaluations[0]
    summary = pd.concat([e.summary() for e in evaluations], ignore_index=True)
    figures = [*_run_figures(run_tables or {}), *_evaluation_figures(evaluations, summary)]
    rankings = [follow_up_table(e) for e in evaluations]  # one ranking per method, for both uses
    sections, details_note = _module_sections(
        evaluations, rankings, max_module_sections, mirna_expression, mrna_expression
    )
    options = asdict(primary.options)
    options_table = _html_table(
        pd.DataFrame({"setting": list(options), "value": [str(v) for v in options.values()]}),
        text_columns=("setting", "value"),
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
            cards=_headline_cards(summary),
            warnings=report_warnings(evaluations, manifest),
            options=primary.options,
            min_mirnas=params.get("min_mirnas", 2),
            min_mrnas=params.get("min_mrnas", 2),
            summary_table=_markup(_html_table(summary, text_columns=("method",))),
            comparison_table=(
                _markup(_html_table(comparison, text_columns=("method",))) if comparison is not None else ""
            ),
            figures=figures,
            follow_up_legend=FOLLOW_UP_LEGEND,
            follow_up=[{**b, "table": _markup(b["table"])} for b in _follow_up_blocks(evaluations, rankings)],
            module_tables=[{**b, "table": _markup(b["table"])} for b in _module_tables(evaluations)],
            module_sections=sections,
            details_note=details_note,
            options_table=_markup(options_table),
            inputs_table=_markup(_inputs_table(primary)),
            manifest_json=json.dumps(manifest, indent=2, default=str) if manifest else "",
        )
    )
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(html, encoding="utf-8")
    logger.info("report built: %s (%.1f kB)", out_path.name, out_path.stat().st_size / 1024)
    return out_path


def _markup(html: str) -> Any:
    from markupsafe import Markup

    return Markup(html)
