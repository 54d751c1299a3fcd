# SPDX-License-Identifier: GPL-2.0-only
# Transcribes the growth rules of Mirsynergy (Bioconductor, Yue Li, GPL-2); see LICENSES/README.md.
"""Mirsynergy port against a literal transcription of the R package's growth rules.

The oracle below follows the R code's data structures step by step (sorted integer vectors for
the members and the boundary, sums recomputed from the matrix at every candidate, ``which.max``
over the sorted boundary), written from reading R/mirsynergy.R, R/gencluster.R and
R/mirsynergy_utils.R of Bioconductor's Mirsynergy 1.x. Weights are multiples of 1/4 so that
fresh and incremental sums are exact and ties are real ties. The port (``legacy=True``) must give
the same modules, statistics included, on every instance where R finishes.
"""

from __future__ import annotations

import bisect
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from mirmodules import InputDataError
from mirmodules.methods.mirsynergy import MirsynergyParameters, mirsynergy


class RStops(Exception):
    """Where the R code stops with an error."""


def _sum(matrix: np.ndarray, x: int, cols: list[int]) -> float:
    return math.fsum(matrix[x, c] for c in cols)


def _insert(vec: list[int], x: int) -> None:
    i = bisect.bisect_left(vec, x)
    if i == len(vec) or vec[i] != x:
        vec.insert(i, x)


def _delete(vec: list[int], x: int) -> None:
    i = bisect.bisect_left(vec, x)
    if i < len(vec) and vec[i] == x:
        vec.pop(i)


def _helper(x, v, mat, w_sum, alpha, action):
    w_in_x = _sum(mat, x, v["in"])
    w_bd_x = w_sum[x] - w_in_x
    if action == "add":
        w_in, w_bd, pen = v["w_in"] + w_in_x, v["w_bd"] + w_bd_x - w_in_x, v["pen"] + alpha
    elif w_bd_x > 0:
        w_in, w_bd, pen = v["w_in"] - w_in_x, v["w_bd"] - w_bd_x + w_in_x, v["pen"] - alpha
    else:
        w_in, w_bd, pen = 0.0, 0.0, alpha
    den = w_in + w_bd + pen
    syn = w_in / den if den != 0 else float("nan")
    return {"x": x, "action": action, "w_in": w_in, "w_bd": w_bd, "pen": pen, "syn": syn}


def _which_max(items):
    best = None
    for item in items:  # first maximum; NaN never wins (R's which.max skips NA)
        if not math.isnan(item["syn"]) and (best is None or item["syn"] > best["syn"]):
            best = item
    return best if best is not None else {"syn": 0.0}


def _grow_once(v, mat, w_sum, n_list, alpha, n_genes=None):
    stage2 = n_genes is not None
    if stage2:
        if not v["bound"]:
            raise RStops("empty boundary: `if (v.c$v.bound[1] <= N)` has length zero")
        bound = [b for b in v["bound"] if b < n_genes] if v["bound"][0] < n_genes else []
    else:
        bound = list(v["bound"])
    add = _which_max([_helper(x, v, mat, w_sum, alpha, "add") for x in bound])
    if v["card"] > 1:
        if stage2:
            if v["bound"][0] < n_genes:
                idx = sum(1 for u in v["in"] if u < n_genes)
                inner = v["in"][:idx] if idx > 0 else v["in"][:1]  # R: v.in[1:0] is v.in[1]
            else:
                inner = []
        else:
            inner = list(v["in"])
        rmv = _which_max([_helper(x, v, mat, w_sum, alpha, "remove") for x in inner])
        change = add if add["syn"] > rmv["syn"] else rmv
    elif add["syn"] > 0:
        change = add
    else:
        return False
    if not change["syn"] > v["syn"]:
        return False
    v.update(w_in=change["w_in"], w_bd=change["w_bd"], pen=change["pen"], syn=change["syn"])
    x = change["x"]
    if change["action"] == "add":
        _insert(v["in"], x)
        v["card"] += 1
        _delete(v["bound"], x)
        for n in n_list[x]:
            if n not in v["in"]:
                _insert(v["bound"], n)
    else:
        _delete(v["in"], x)
        v["card"] -= 1
        _insert(v["bound"], x)
        for n in n_list[x]:
            for u in v["in"]:
                if n not in n_list[u]:
                    _delete(v["bound"], n)
    return True


def r_mirsynergy(w: np.ndarray, h: np.ndarray, alpha=2.0, merge_tol=0.8, dens1=1e-2, dens2=5e-3):
    """Modules as (miRNA indices, mRNA indices, synergy, density), in R's order."""
    col = w.sum(axis=0)
    s = (w.T @ w) / np.minimum.outer(col, col)
    np.fill_diagonal(s, 0.0)
    n_mir = s.shape[0]
    w_sum1 = [math.fsum(s[k]) for k in range(n_mir)]
    n_list1 = [list(np.flatnonzero(s[k] > 0)) for k in range(n_mir)]
    remain = list(range(n_mir))
    stage1 = []
    while remain:
        seed = remain[int(np.argmax([w_sum1[k] for k in remain]))]
        v = {
            "in": [seed],
            "w_in": 0.0,
            "w_bd": w_sum1[seed],
            "pen": alpha,
            "syn": 0.0,
            "card": 1,
            "bound": list(n_list1[seed]),
        }
        while _grow_once(v, s, w_sum1, n_list1, alpha):
            pass
        stage1.append(v)
        for k in [seed, *v["in"]]:
            if k in remain:
                remain.remove(k)
    if len(stage1) == 1:
        raise RStops("a single stage-1 cluster keeps density 0, and stage 2 gets an empty list")
    graph = nx.Graph()
    graph.add_nodes_from(range(len(stage1)))
    for i, a in enumerate(stage1):
        for j, b in enumerate(stage1):
            ovp = len(set(a["in"]) & set(b["in"]))
            if j > i and ovp * ovp / (a["card"] * b["card"]) >= merge_tol:
                graph.add_edge(i, j)
    kept = []
    for comp in sorted(nx.connected_components(graph), key=min):
        members = sorted(set().union(*(stage1[i]["in"] for i in comp)))
        sub = s[np.ix_(members, members)]
        w_in = float(np.triu(sub, 1).sum())
        card = len(members)
        density = 2 * w_in / (card * (card - 1)) if card > 1 else 0.0
        if density >= dens1:
            kept.append((members, alpha * card, card))
    if not kept:
        raise RStops("no stage-1 cluster left: `V2[sapply(V2, ...)] <- NULL` fails on an empty list")
    n_genes = w.shape[0]
    big = np.block([[h, w], [w.T, np.zeros((n_mir, n_mir))]])
    w_sum2 = [math.fsum(big[i]) for i in range(len(big))]
    n_list2 = [list(np.flatnonzero(big[i] > 0)) for i in range(len(big))]
    out = []
    for members, pen, card in kept:
        v_in = [k + n_genes for k in members]
        v = {
            "in": v_in,
            "w_in": 0.0,
            "w_bd": math.fsum(w_sum2[i] for i in v_in),
            "pen": pen,
            "syn": 0.0,
            "card": card,
            "bound": sorted(set().union(*(n_list2[i] for i in v_in))),
        }
        while _grow_once(v, big, w_sum2, n_list2, alpha, n_genes):
            pass
        m = len(members)
        t_idx = [u for u in v["in"] if u < n_genes]
        card_t = v["card"]
        density = v["w_in"] / (m * card_t + card_t * (card_t - 1))
        if density >= dens2:
            out.append((tuple(members), tuple(t_idx), v["syn"], density))
    return out


def _instance(rng: np.random.Generator):
    """Two or three blocks of miRNAs sharing targets, some cross-talk, H with self-loops."""
    n_genes, n_mir = int(rng.integers(8, 20)), int(rng.integers(4, 10))
    n_blocks = int(rng.integers(2, 4))
    gene_block, mir_block = rng.integers(0, n_blocks, n_genes), rng.integers(0, n_blocks, n_mir)
    same = gene_block[:, None] == mir_block[None, :]
    p_edge = np.where(same, rng.uniform(0.3, 0.8), rng.uniform(0.0, 0.15))
    quarters = np.array([0.25, 0.5, 0.75, 1.0])
    w = np.where(rng.random((n_genes, n_mir)) < p_edge, rng.choice(quarters, (n_genes, n_mir)), 0.0)
    h = np.where(rng.random((n_genes, n_genes)) < 0.15, rng.choice(quarters, (n_genes, n_genes)), 0.0)
    h = np.triu(h, 1)
    h = h + h.T
    loops = rng.random(n_genes) < 0.3
    h[np.diag_indices(n_genes)] = np.where(loops, rng.choice(quarters, n_genes), 0.0)
    return w, h


def _port(w: np.ndarray, h: np.ndarray):
    genes = [f"g{i:02d}" for i in range(w.shape[0])]
    mirs = [f"m{k:02d}" for k in range(w.shape[1])]
    frame = pd.DataFrame(w, index=genes, columns=mirs)
    i, j = np.nonzero(np.triu(h))
    network = pd.DataFrame(
        {"gene1": [genes[a] for a in i], "gene2": [genes[b] for b in j], "weight": h[i, j]}
    )
    return frame, network, genes, mirs


def test_port_matches_a_literal_transcription_of_r_on_random_instances():
    rng = np.random.default_rng(2024)
    compared = stopped = 0
    for _ in range(600):
        w, h = _instance(rng)
        keep_rows, keep_cols = w.sum(axis=1) > 0, w.sum(axis=0) > 0
        w, h = w[keep_rows][:, keep_cols], h[np.ix_(keep_rows, keep_rows)]
        if w.shape[1] < 2:
            continue
        try:
            expected = r_mirsynergy(w, h)
        except RStops:
            stopped += 1
            continue
        frame, network, genes, mirs = _port(w, h)
        got = mirsynergy(frame, network, parameters=MirsynergyParameters(legacy=True))
        want = [
            (tuple(mirs[k] for k in a), tuple(genes[t] for t in b), syn, dens) for a, b, syn, dens in expected
        ]
        assert [(m.mirnas, m.mrnas) for m in got] == [(a, b) for a, b, _, _ in want]
        for module, (_, _, syn, dens) in zip(got, want, strict=True):
            assert module.synergy == pytest.approx(syn, abs=1e-12)
            assert module.density == pytest.approx(dens, abs=1e-12)
        compared += 1
    assert compared >= 300, (compared, stopped)


# Small instances (weights in quarters) where the previous port differed from R, each found by a
# random search and attributed by undoing one fix at a time.
SMALL_CASES = {
    "a: removal counts the self-loop": (
        [
            [3, 0, 0, 0],
            [0, 0, 1, 0],
            [3, 1, 0, 0],
            [2, 1, 0, 0],
            [0, 0, 3, 0],
            [0, 0, 0, 1],
            [2, 4, 0, 0],
            [4, 1, 0, 0],
            [0, 0, 1, 0],
            [0, 0, 1, 0],
            [3, 2, 0, 0],
            [0, 0, 0, 3],
        ],
        [
            [0, 2, 0, 3, 2, 0, 0, 0, 0, 0, 0, 3],
            [2, 3, 0, 0, 0, 0, 0, 1, 3, 0, 0, 0],
            [0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0],
            [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            [2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
            [0, 0, 4, 0, 0, 3, 0, 0, 0, 2, 0, 0],
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            [0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2],
            [0, 3, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4],
            [0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0],
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
            [3, 0, 0, 1, 0, 0, 0, 2, 4, 0, 2, 0],
        ],
    ),
    "c: ties go to the lowest boundary index": (
        [[4, 0, 2, 0], [2, 0, 0, 0], [1, 0, 0, 0], [4, 0, 0, 0], [0, 0, 0, 3], [0, 2, 1, 2], [0, 3, 0, 0]],
        [
            [0, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 4, 0, 0, 0],
            [0, 0, 0, 0, 4, 0, 0],
            [0, 4, 0, 0, 0, 0, 0],
            [0, 0, 4, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 4],
        ],
    ),
    "d: no outside neighbour is counted, not a float": (
        [
            [4, 4, 4, 0, 1, 0, 2, 4],
            [0, 0, 0, 4, 0, 0, 0, 2],
            [0, 4, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 1, 0, 0, 0, 0],
            [2, 4, 0, 0, 0, 3, 0, 0],
            [2, 3, 0, 1, 2, 0, 0, 0],
        ],
        [
            [0, 1, 0, 0, 0, 0],
            [1, 0, 0, 0, 4, 0],
            [0, 0, 0, 0, 0, 4],
            [0, 0, 0, 4, 0, 0],
            [0, 4, 0, 0, 0, 0],
            [0, 0, 4, 0, 0, 0],
        ],
    ),
    "b: stage-2 removal guard on the sorted boundary": (
        [
            [0, 0, 3, 0, 0, 1, 0, 0],
            [3, 0, 0, 1, 0, 0, 1, 0],
            [0, 0, 4, 0, 4, 0, 0, 0],
            [0, 0, 2, 2, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 0, 3],
            [0, 0, 3, 0, 1, 4, 0, 0],
            [4, 0, 0, 0, 0, 0, 0, 4],
            [0, 0, 1, 0, 1, 0, 0, 0],
            [0, 1, 0, 3, 0, 0, 4, 0],
        ],
        [
            [0, 0, 0, 0, 0, 0, 4, 0, 0],
            [0, 0, 0, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 1, 0, 0, 3, 3, 0],
            [0, 0, 1, 0, 0, 0, 0, 4, 0],
            [0, 0, 0, 0, 0, 0, 3, 0, 0],
            [0, 0, 0, 0, 0, 0, 0, 0, 0],
            [4, 0, 3, 0, 3, 0, 0, 0, 0],
            [0, 0, 3, 4, 0, 0, 0, 0, 3],
            [0, 0, 0, 0, 0, 0, 0, 3, 0],
        ],
    ),
}


@pytest.mark.parametrize("label", list(SMALL_CASES))
def test_port_matches_r_on_small_cases_for_each_difference(label):
    w, h = (np.array(m, dtype=float) / 4 for m in SMALL_CASES[label])
    expected = r_mirsynergy(w, h)
    frame, network, genes, mirs = _port(w, h)
    got = mirsynergy(frame, network)
    assert [(m.mirnas, m.mrnas) for m in got] == [
        (tuple(mirs[k] for k in a), tuple(genes[t] for t in b)) for a, b, _, _ in expected
    ]
    assert [m.density for m in got] == pytest.approx([d for *_, d in expected], abs=1e-12)


@pytest.mark.parametrize(
    ("network", "message"),
    [
        (pd.DataFrame({"gene1": ["x"], "gene2": ["y"], "score": [0.5]}), "must be named 'weight'"),
        (pd.DataFrame({"gene1": ["x", "y"], "gene2": ["y", "z"], "weight": [0.5, np.nan]}), "row 2"),
        (pd.DataFrame({"gene1": ["x"], "gene2": ["y"], "weight": [-1.0]}), "finite numbers >= 0"),
        (pd.DataFrame({"gene1": ["x"], "gene2": ["y"], "weight": ["strong"]}), "'strong'"),
        (pd.DataFrame({"gene1": ["x"], "gene2": ["y"], "weight": [np.inf]}), "finite"),
    ],
)
def test_gene_network_weights_are_validated(network, message):
    w = pd.DataFrame([[1.0, 0.5], [0.5, 1.0], [0.25, 0.0]], index=["x", "y", "z"], columns=["a", "b"])
    with pytest.raises(InputDataError, match=message):
        mirsynergy(w, network)
