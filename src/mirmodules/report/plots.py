"""Figures of a run and its evaluation (matplotlib; computation lives elsewhere).

Every function draws on the ``ax`` it is given (a new figure's axes otherwise) and returns that
axes, so figures can be combined and restyled. Inputs are the tidy tables the run and the
evaluation write, so the figures can be redrawn from files alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd

from mirmodules.datatypes import ModuleSet

__all__ = [
    "plot_density_cdf",
    "plot_enriched_terms_cdf",
    "plot_enrichment_by_method",
    "plot_kaplan_meier",
    "plot_module_heatmap",
    "plot_module_network",
    "plot_risk_group_expression",
    "plot_sse_curve",
    "plot_training_loss",
]

_MIRNA_COLOUR = "#c0392b"
_MRNA_COLOUR = "#2471a3"
_PREDICTED_COLOUR = "#7d3c98"
_GROUP_COLOURS = {"high": "#c0392b", "low": "#2471a3"}


_F = TypeVar("_F", bound=Callable[..., Any])


def _plain_text(func: _F) -> _F:
    """Draw with matplotlib's mathtext off: ids such as ``$\\foo{$`` are text, not TeX to parse."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with matplotlib.rc_context({"text.parse_math": False}):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _axes(ax: plt.Axes | None, size: tuple[float, float] = (4.5, 3.2)) -> plt.Axes:
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


@_plain_text
def plot_sse_curve(sse_curve: pd.DataFrame, *, title: str = "", ax: plt.Axes | None = None) -> plt.Axes:
    """K-means SSE against K, candidates marked, the chosen K highlighted; the silhouette score on
    a second axis when the curve has one (the default K rule).

    ``sse_curve``: columns ``k``, ``sse`` and optionally ``silhouette`` (float), ``candidate``,
    ``chosen`` (booleans).
    """
    ax = _axes(ax)
    ax.plot(sse_curve["k"], sse_curve["sse"], "-o", color="0.35", ms=3, lw=1.2)
    has_silhouette = "silhouette" in sse_curve and sse_curve["silhouette"].notna().any()
    if has_silhouette:
        twin = ax.twinx()
        twin.plot(sse_curve["k"], sse_curve["silhouette"], "-s", color="#2e86c1", ms=3, lw=1.0)
        twin.set_ylabel("silhouette (sampled)", color="#2e86c1")
    if "candidate" in sse_curve:
        cand = sse_curve[sse_curve["candidate"].astype(bool)]
        label = "near-best silhouette" if has_silhouette else "elbow candidates"
        ax.plot(cand["k"], cand["sse"], "o", mfc="none", mec="#e67e22", ms=7, label=label)
    if "chosen" in sse_curve:
        chosen = sse_curve[sse_curve["chosen"].astype(bool)]
        for k, sse in zip(chosen["k"], chosen["sse"], strict=True):
            ax.axvline(k, color="#c0392b", lw=0.8, ls="--")
            ax.plot([k], [sse], "o", color="#c0392b", ms=7, label=f"chosen K = {k}")
    ax.set(xlabel="K", ylabel="within-cluster SSE", title=title)
    ax.legend(frameon=False, fontsize=8)
    return ax


@_plain_text
def plot_training_loss(history: pd.DataFrame, *, title: str = "", ax: plt.Axes | None = None) -> plt.Axes:
    """Training and validation loss per validation check (``step`` or ``epoch``, ``train_loss``,
    ``val_loss``)."""
    ax = _axes(ax)
    x = "step" if "step" in history and history["step"].notna().all() else "epoch"
    ax.plot(history[x], history["train_loss"], "-", color="0.3", label="training")
    if "val_loss" in history and history["val_loss"].notna().any():
        ax.plot(history[x], history["val_loss"], "--", color="#c0392b", label="validation")
    ax.set(xlabel="optimiser step" if x == "step" else "epoch", ylabel="reconstruction MSE", title=title)
    ax.legend(frameon=False, fontsize=8)
    return ax


def _cdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.sort(np.asarray(values, dtype=float))
    return x, np.arange(1, len(x) + 1) / len(x)


@_plain_text
def plot_density_cdf(topologies: Mapping[str, pd.DataFrame], *, ax: plt.Axes | None = None) -> plt.Axes:
    """Cumulative distribution of module density per method (paper Fig. 5)."""
    ax = _axes(ax)
    for method, topo in topologies.items():
        if len(topo):
            x, y = _cdf(topo["density"].to_numpy())
            ax.step(x, y, where="post", label=f"{method} ({len(topo)})")
    ax.set(
        xlabel="module density (interactions / (#miRNAs x #mRNAs))",
        ylabel="cumulative fraction",
        xlim=(0, 1.02),
        ylim=(0, 1.02),
    )
    ax.legend(frameon=False, fontsize=8)
    return ax


@_plain_text
def plot_enrichment_by_method(summary: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Share of modules with an enriched miRNA family and with an enriched term, per method (Fig. 6).

    ``summary``: rows of :meth:`~mirmodules.evaluation.evaluate.Evaluation.summary`.
    """
    ax = _axes(ax)
    methods = summary["method"].tolist()
    n = summary["n_modules"].replace(0, np.nan).to_numpy(dtype=float)
    family = summary["n_family_enriched"].to_numpy(dtype=float) / n
    terms = summary["fraction_term_enriched"].to_numpy(dtype=float)
    pos = np.arange(len(methods))
    ax.bar(pos - 0.2, np.nan_to_num(family), 0.4, label="miRNA family (q < threshold)", color=_MIRNA_COLOUR)
    ax.bar(pos + 0.2, np.nan_to_num(terms), 0.4, label="GO/KEGG term (p < threshold)", color=_MRNA_COLOUR)
    ax.set_xticks(pos, methods)
    ax.set(ylabel="fraction of modules enriched", ylim=(0, 1.05))
    ax.legend(frameon=False, fontsize=8)
    return ax


@_plain_text
def plot_enriched_terms_cdf(
    terms_per_module: Mapping[str, pd.DataFrame], *, ax: plt.Axes | None = None
) -> plt.Axes:
    """Cumulative distribution of the number of enriched terms per module, per method (Fig. 7)."""
    ax = _axes(ax)
    for method, table in terms_per_module.items():
        if len(table):
            x, y = _cdf(table["n_enriched_terms"].to_numpy())
            ax.step(x, y, where="post", label=method)
    ax.set(xlabel="enriched terms per module", ylabel="cumulative fraction", ylim=(0, 1.02))
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.legend(frameon=False, fontsize=8)
    return ax


@_plain_text
def plot_module_network(
    modules: ModuleSet, module_id: str, *, ax: plt.Axes | None = None, max_labels: int = 60
) -> plt.Axes:
    """A module's miRNA-mRNA interaction network, miRNAs on the left (Fig. 8)."""
    ax = _axes(ax, (5.5, 4.5))
    mirs, genes = modules.groups()[module_id]
    edges = modules.edges[modules.edges["module_id"] == module_id]
    graph = nx.Graph()
    graph.add_nodes_from(mirs, kind="mirna")
    graph.add_nodes_from(genes, kind="mrna")
    graph.add_edges_from(zip(edges["mirna"], edges["target"], strict=True))
    pos = {m: (0.0, 1 - (i + 0.5) / len(mirs)) for i, m in enumerate(mirs)}
    pos.update({g: (1.0, 1 - (i + 0.5) / len(genes)) for i, g in enumerate(genes)})
    # with --predicted, the targets that joined through predictions only are drawn dashed
    predicted = (edges["evidence"].eq("predicted").to_numpy() if "evidence" in edges
                 else np.zeros(len(edges), dtype=bool))
    solid = list(zip(edges.loc[~predicted, "mirna"], edges.loc[~predicted, "target"], strict=True))
    nx.draw_networkx_edges(graph, pos, edgelist=solid, ax=ax, alpha=0.35, width=0.7)
    if predicted.any():
        dashed = list(zip(edges.loc[predicted, "mirna"], edges.loc[predicted, "target"], strict=True))
        nx.draw_networkx_edges(graph, pos, edgelist=dashed, ax=ax, alpha=0.6, width=0.7, style="dashed",
                               edge_color=_PREDICTED_COLOUR)
    nx.draw_networkx_nodes(graph, pos, nodelist=mirs, node_color=_MIRNA_COLOUR, node_size=60, ax=ax)
    nx.draw_networkx_nodes(
        graph, pos, nodelist=genes, node_color=_MRNA_COLOUR, node_size=30, node_shape="s", ax=ax
    )
    if len(mirs) + len(genes) <= max_labels:
        for node, (x, y) in pos.items():
            ax.text(
                x - 0.04 if x == 0 else x + 0.04,
                y,
                node,
                fontsize=6,
                ha="right" if x == 0 else "left",
                va="center",
            )
    ax.set_xlim(-0.8, 1.8)
    ax.set_title(
        f"{module_id}: {len(mirs)} miRNAs, {len(genes)} mRNAs, {len(edges)} interactions", fontsize=9
    )
    ax.axis("off")
    return ax


def _cluster_order(matrix: np.ndarray) -> np.ndarray:
    """Row order of average-linkage clustering on correlation distance (the rows as they are when
    fewer than three or when a row is constant)."""
    from scipy.cluster.hierarchy import leaves_list, linkage

    if matrix.shape[0] < 3 or np.any(matrix.std(axis=1) == 0):
        return np.arange(matrix.shape[0])
    return leaves_list(linkage(matrix, method="average", metric="correlation"))


@_plain_text
def plot_module_heatmap(
    modules: ModuleSet,
    module_id: str,
    *,
    mirna_expression: pd.DataFrame | None = None,
    mrna_expression: pd.DataFrame | None = None,
    max_labels: int = 60,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """A module as a clustered miRNA x mRNA heat map: Pearson r of each pair over the samples
    (blue = negative, repression) with a dot on every interaction of the module; without the
    expression tables, the interactions alone. Rows and columns are ordered by average-linkage
    clustering; labels are drawn while an axis has at most ``max_labels`` names (the title says
    when they are left out)."""
    mirs, genes = modules.groups()[module_id]
    edges = modules.edges[modules.edges["module_id"] == module_id]
    row_of = {m: i for i, m in enumerate(mirs)}
    col_of = {g: j for j, g in enumerate(genes)}
    links = np.zeros((len(mirs), len(genes)))
    # 1: a validated interaction; 2: one that only predicted targets give (runs with --predicted)
    kinds = edges["evidence"].eq("predicted").map({True: 2.0, False: 1.0}) if "evidence" in edges else None
    for k, (mirna, target) in enumerate(zip(edges["mirna"], edges["target"], strict=True)):
        if mirna in row_of and target in col_of:
            links[row_of[mirna], col_of[target]] = 1.0 if kinds is None else float(kinds.iloc[k])
    have_expression = (
        mirna_expression is not None
        and mrna_expression is not None
        and set(mirs) <= set(mirna_expression.index)
        and set(genes) <= set(mrna_expression.index)
    )
    if have_expression:
        from mirmodules.inputs.preprocessing import standardise_rows

        a = standardise_rows(mirna_expression.loc[list(mirs)].to_numpy(dtype=float))  # type: ignore[union-attr]
        b = standardise_rows(mrna_expression.loc[list(genes)].to_numpy(dtype=float))  # type: ignore[union-attr]
        values = a @ b.T / a.shape[1]
    else:
        values = links
    rows = _cluster_order(values) if values.shape[1] > 1 else np.arange(len(mirs))
    cols = _cluster_order(values.T) if values.shape[0] > 1 else np.arange(len(genes))
    width = float(np.clip(2.5 + 0.09 * len(genes), 4.5, 11.0))
    height = float(np.clip(1.8 + 0.09 * len(mirs), 3.0, 9.0))
    ax = _axes(ax, (width, height))
    shown = values[np.ix_(rows, cols)]
    if have_expression:
        image = ax.imshow(shown, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
        ax.figure.colorbar(image, ax=ax, shrink=0.7, label="Pearson r")
        ordered = links[np.ix_(rows, cols)]
        size = max(1.0, 60.0 / max(len(mirs), len(genes)) ** 0.5)
        ys, xs = np.nonzero(ordered == 1.0)
        ax.scatter(xs, ys, s=size, c="black", marker=".")
        ys, xs = np.nonzero(ordered == 2.0)
        if len(xs):  # predicted-only interactions: hollow, in the network figure's purple
            ax.scatter(xs, ys, s=3 * size, facecolors="none", edgecolors=_PREDICTED_COLOUR, marker="o",
                       linewidths=0.6)
    else:
        ax.imshow(np.minimum(shown, 1.0), cmap="Greys", vmin=0, vmax=1, aspect="auto",
                  interpolation="nearest")
    omitted = []
    if len(mirs) <= max_labels:
        ax.set_yticks(range(len(mirs)), [mirs[i] for i in rows], fontsize=max(4, 8 - len(mirs) // 20))
    else:
        ax.set_yticks([])
        omitted.append("miRNA")
    if len(genes) <= max_labels:
        ax.set_xticks(
            range(len(genes)), [genes[j] for j in cols], rotation=90, fontsize=max(4, 8 - len(genes) // 20)
        )
    else:
        ax.set_xticks([])
        omitted.append("mRNA")
    ax.set_ylabel(f"{len(mirs)} miRNAs")
    ax.set_xlabel(f"{len(genes)} mRNAs")
    what = "r of every pair, dots = interactions" if have_expression else "interactions"
    note = f"; {' and '.join(omitted)} names left out (see modules.tsv)" if omitted else ""
    ax.set_title(f"{module_id}: {what}{note}", fontsize=9)
    return ax


@_plain_text
def plot_risk_group_expression(
    risk_scores: pd.DataFrame,
    mirna_expression: pd.DataFrame,
    mirnas: list[str],
    *,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Expression of a module's miRNAs in the high- and low-risk groups (Fig. 9).

    ``risk_scores``: one module's rows of the evaluation's risk-score table (``sample``,
    ``risk_group``); ``mirna_expression``: miRNAs x samples.
    """
    ax = _axes(ax, (max(4.0, 0.55 * len(mirnas) + 1.5), 3.2))
    groups = {g: risk_scores.loc[risk_scores["risk_group"] == g, "sample"].tolist() for g in ("high", "low")}
    positions, data, colours = [], [], []
    for i, mirna in enumerate(mirnas):
        for j, g in enumerate(("high", "low")):
            positions.append(i * 3 + j)
            data.append(mirna_expression.loc[mirna, groups[g]].to_numpy(dtype=float))
            colours.append(_GROUP_COLOURS[g])
    parts = ax.boxplot(data, positions=positions, widths=0.8, patch_artist=True, showfliers=False)
    for patch, colour in zip(parts["boxes"], colours, strict=True):
        patch.set(facecolor=colour, alpha=0.55)
    ax.set_xticks([i * 3 + 0.5 for i in range(len(mirnas))], mirnas, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("scaled expression")
    handles = [plt.Rectangle((0, 0), 1, 1, color=_GROUP_COLOURS[g], alpha=0.55) for g in ("high", "low")]
    ax.legend(handles, ["high risk", "low risk"], frameon=False, fontsize=8)
    return ax


@_plain_text
def plot_kaplan_meier(
    risk_scores: pd.DataFrame,
    survival_row: Mapping[str, Any] | None = None,
    *,
    group_column: str = "risk_group",
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Kaplan-Meier curves of the high- and low-risk groups, with HR, 95% CI and log-rank p (Fig. 10)."""
    from lifelines import KaplanMeierFitter

    ax = _axes(ax)
    for group in ("high", "low"):
        part = risk_scores[risk_scores[group_column] == group]
        if part.empty:
            continue
        kmf = KaplanMeierFitter(label=f"{group} risk (n={len(part)})")
        kmf.fit(part["os_time_days"], part["os_event"])
        kmf.plot_survival_function(
            ax=ax,
            ci_show=False,
            color=_GROUP_COLOURS[group],
            show_censors=True,
            censor_styles={"ms": 4, "marker": "|"},
        )
    if survival_row is not None:
        prefix = "cv_" if group_column.startswith("cv_") else ""
        hr = survival_row.get(f"{prefix}hr", np.nan)
        if pd.notna(hr):
            text = (
                f"HR {hr:.2f} ({survival_row[f'{prefix}hr_ci_lower']:.2f}-"
                f"{survival_row[f'{prefix}hr_ci_upper']:.2f})\nlog-rank p = "
                f"{survival_row[f'{prefix}logrank_p']:.3g}"
            )
            ax.text(0.98, 0.97, text, transform=ax.transAxes, ha="right", va="top", fontsize=8)
    ax.set(xlabel="days", ylabel="overall survival", ylim=(0, 1.02))
    ax.legend(frameon=False, fontsize=8, loc="lower left")
    return ax
