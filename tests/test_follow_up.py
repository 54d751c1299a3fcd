"""Modules a biologist can read: the follow-up ranking computed by hand, module cards, and a
95 x 86 module drawn as a readable clustered heat map instead of a node blob."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from mirmodules.datatypes import ModuleSet, PreparedInputs
from mirmodules.evaluation.evaluate import evaluate_modules
from mirmodules.evaluation.follow_up import FOLLOW_UP_COLUMNS, follow_up_table
from mirmodules.report.html import NETWORK_MAX_NODES, build_report


def _prepared(mirnas: list[str], genes: list[str], seed: int = 0, n: int = 30) -> PreparedInputs:
    rng = np.random.default_rng(seed)
    samples = [f"S{i}" for i in range(n)]
    return PreparedInputs(
        mirna=pd.DataFrame(rng.normal(size=(len(mirnas), n)), index=mirnas, columns=samples),
        mrna=pd.DataFrame(rng.normal(size=(len(genes), n)), index=genes, columns=samples),
        interactions=pd.DataFrame({"mirna": [], "target": []}),
        harmonisation=pd.DataFrame(),
        preprocessing=pd.DataFrame(),
        counts={},
    )


def _modules(
    groups: dict[str, tuple[list[str], list[str], list[tuple[str, str]]]],
    confidence: dict[str, float] | None = None,
) -> ModuleSet:
    members = [(mid, f, "mirna") for mid, (mirs, _, _) in groups.items() for f in mirs]
    members += [(mid, g, "mrna") for mid, (_, genes, _) in groups.items() for g in genes]
    edges = [(mid, m, t) for mid, (_, _, pairs) in groups.items() for m, t in pairs]
    return ModuleSet(
        pd.DataFrame(members, columns=["module_id", "feature", "kind"]),
        pd.DataFrame(edges, columns=["module_id", "mirna", "target"]),
        confidence=None if confidence is None else pd.Series(confidence),
    )


GROUPS = {
    "M001": (["a", "b"], ["x", "y", "z"], [("a", "x"), ("a", "y"), ("a", "z"), ("b", "x")]),
    "M002": (["c", "d"], ["u", "v"], [("c", "u"), ("d", "v")]),
}


def _family_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "module_id": ["M002"],
            "family_id": ["F1"],
            "family_name": ["mir-9"],
            "members": ["c;d"],
            "n_in_module": [2],
            "n_module_annotated": [2],
            "family_size": [2],
            "p_value": [0.001],
            "q_value": [0.01],
            "enriched": [True],
        }
    )


def test_a_family_signal_needs_an_enriched_family_not_a_low_q_alone():
    # M002: a one-member family at q 0.001 (not enriched: one module miRNA) and an enriched family
    # at q 0.01; M001: only a one-member family at q 0.002
    family = pd.DataFrame({
        "module_id": ["M002", "M002", "M001"], "family_id": ["F2", "F1", "F3"],
        "family_name": ["mir-191", "mir-9", "mir-449"], "members": ["c", "c;d", "a"],
        "n_in_module": [1, 2, 1], "n_module_annotated": [2, 2, 2], "family_size": [2, 2, 2],
        "p_value": [0.0005, 0.001, 0.001], "q_value": [0.001, 0.01, 0.002],
        "enriched": [False, True, False]})
    modules = _modules(GROUPS)
    evaluation = replace(evaluate_modules(modules, _prepared(list("abcd"), list("xyzuv"))),
                         family_enrichment=family)
    table = follow_up_table(evaluation).set_index("module_id")
    assert table.loc["M002", "best_family"] == "mir-9 (2/2)"  # the enriched one, not the lower q
    assert "family" in table.loc["M002", "signals"]
    assert "family" not in table.loc["M001", "signals"]  # q 0.002 from one miRNA is no signal


def test_follow_up_ranks_hubs_and_signals_as_computed_by_hand():
    modules = _modules(GROUPS, confidence={"M001": 1.0, "M002": 0.5})
    evaluation = evaluate_modules(modules, _prepared(list("abcd"), list("xyzuv")))
    evaluation = replace(evaluation, family_enrichment=_family_table())
    table = follow_up_table(evaluation, n_hubs=1, n_targets=2)
    assert list(table.columns) == FOLLOW_UP_COLUMNS
    first, second = table.iloc[0], table.iloc[1]
    # one signal each (M001: confidence 1.0 >= 0.8; M002: its family at q 0.01 < 0.05): the tie
    # goes to the higher confidence
    assert (first["module_id"], first["n_signals"], first["signals"]) == ("M001", 1, "confidence")
    assert (second["module_id"], second["n_signals"], second["signals"]) == ("M002", 1, "family")
    assert table["rank"].tolist() == [1, 2]
    assert first["hub_mirnas"] == "a (3); +1 more"  # a has 3 interactions in the module, b one
    assert first["top_targets"] == "x (2); y (1); +1 more"  # ties by name
    assert second["reasons"] == "miRNA family mir-9 (2/2) enriched (q 0.01)"
    # a second signal puts M002 first
    significance = pd.DataFrame(
        {"module_id": ["M001", "M002"], "q_rewired": [0.5, 0.01], "q_shuffled": [0.5, 0.02]}
    )
    table = follow_up_table(replace(evaluation, significance=significance))
    assert table["module_id"].tolist() == ["M002", "M001"]
    assert table.iloc[0]["signals"] == "family, significant"


def test_in_sample_survival_is_never_a_signal():
    """A module prognostic in-sample only must not rise in the ranking (issue: in-sample survival
    was the headline)."""
    modules = _modules(GROUPS)
    evaluation = evaluate_modules(modules, _prepared(list("abcd"), list("xyzuv")))

    class _Survival:  # the two columns the ranking may read, and nothing cross-validated
        summary = pd.DataFrame(
            {
                "module_id": ["M001", "M002"],
                "hr": [9.0, 1.0],
                "logrank_p": [1e-9, 0.9],
                "cv_hr": [1.0, 1.0],
                "cv_logrank_p": [0.8, 0.9],
            }
        )

    table = follow_up_table(replace(evaluation, survival=_Survival()))  # type: ignore[arg-type]
    assert table["n_signals"].tolist() == [0, 0]
    assert set(table["reasons"]) == {"no strict signal"}


def test_a_95_by_86_module_is_drawn_as_a_readable_heat_map(tmp_path):
    mirs = [f"hsa-miR-{i}" for i in range(95)]
    genes = [f"GENE{i}" for i in range(86)]
    rng = np.random.default_rng(1)
    pairs = sorted(
        {
            (mirs[i], genes[j])
            for i, j in zip(rng.integers(95, size=500), rng.integers(86, size=500), strict=True)
        }
    )
    small = (["hsa-miR-a", "hsa-miR-b"], ["S1", "S2"], [("hsa-miR-a", "S1"), ("hsa-miR-b", "S2")])
    modules = _modules({"M001": (mirs, genes, pairs), "M002": small})
    prepared = _prepared([*mirs, *small[0]], [*genes, *small[1]])
    evaluation = evaluate_modules(modules, prepared)
    report = build_report(
        [evaluation], tmp_path / "report.html", mirna_expression=prepared.mirna, mrna_expression=prepared.mrna
    )
    html = report.read_text(encoding="utf-8")
    assert len(mirs) + len(genes) > NETWORK_MAX_NODES
    assert "The module&#39;s 95 miRNAs x 86 mRNAs as a clustered heat map" in html
    assert "miRNAs (red) and their validated targets (blue)" in html  # the small module: a network
    images = re.findall(r'<img alt="The module&#39;s 95[^"]*" src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 1
    image = Image.open(io.BytesIO(base64.b64decode(images[0])))
    assert image.size[0] >= 800 and image.size[1] >= 500  # large enough to read, not a 4.5-inch blob
    # the hubs and targets of the card come from the module's edges
    degree = pd.Series([m for m, _ in pairs]).value_counts()
    top = sorted(degree.index, key=lambda m: (-degree[m], m))[0]
    assert f"{top} ({degree[top]})" in html


@pytest.mark.parametrize("n_mirnas, omitted", [(30, False), (95, True)])
def test_the_heat_map_says_when_names_are_left_out(n_mirnas, omitted):
    from mirmodules.report.plots import plot_module_heatmap

    mirs = [f"m{i}" for i in range(n_mirnas)]
    genes = [f"g{i}" for i in range(20)]
    modules = _modules({"M001": (mirs, genes, [(m, genes[i % 20]) for i, m in enumerate(mirs)])})
    prepared = _prepared(mirs, genes)
    ax = plot_module_heatmap(modules, "M001", mirna_expression=prepared.mirna, mrna_expression=prepared.mrna)
    assert ("miRNA names left out" in ax.get_title()) is omitted
    assert len(ax.get_xticklabels()) == 20  # 20 mRNAs: labelled
    import matplotlib.pyplot as plt

    plt.close(ax.figure)
