"""Simulated cohorts with planted miRNA regulatory modules (ground truth for tests and the demo).

Generative model (all draws from one seeded ``numpy.random.Generator``):

* every planted module m has a latent programme ``z_m`` (standard normal over samples);
* its miRNAs follow the programme, ``a_f * z_m + noise``; its target mRNAs are repressed by it,
  ``-b_f * z_m + noise`` (``a_f, b_f ~ signal * U(0.7, 1.3)``, noise standard normal);
* background features load on one of ``n_background_factors`` unrelated programmes (or on none),
  so that the data have correlation structure that is *not* regulation;
* miRNAs are written as read counts (Poisson around ``2 ** (baseline + profile)`` times a
  per-sample library factor), mRNAs as log2 values; a few mRNAs get missing values (some above
  the 10% filter);
* interactions: each planted (miRNA, target) pair is in the table with probability
  ``interaction_density``; a share ``missing_rate`` of those is then removed (missing
  interactions) and random pairs outside the planted modules are added until they make up
  ``false_positive_rate`` of the table (false positives);
* families: miRNAs come in seed families (``hsa-miR-200a-3p``, ``hsa-miR-200b-3p`` ...); in the first
  ``n_family_modules`` modules at least two miRNAs are from one family;
* gene sets: for the first ``n_geneset_modules`` modules a set with 60% of its targets plus as many
  random genes, and ``n_random_gene_sets`` random sets;
* survival: the hazard grows with the programmes of the first ``n_prognostic_modules`` modules
  (log hazard ratio ``survival_effect`` per unit), exponential times, uniform censoring.
* predicted targets (``predicted``, ``predicted.tsv``; the ``predicted_*`` parameters), drawn
  from their own generator (``derive_seed(seed, "predicted")``) after everything else, so that
  they change no other output of a seed: each (miRNA, mRNA) pair inside a planted module is
  predicted with probability ``predicted_coverage``, the planted pairs missing from the
  interaction table included; each planted mRNA is reachable (at least one predicted pair to its
  module's miRNAs) with probability ``predicted_member_coverage`` and has no predicted pair to its
  module otherwise; ``predicted_chance_pairs`` random miRNA x mRNA pairs outside the modules'
  blocks are added (most on mRNAs in no module). Scores follow TargetScan's direction (negative,
  more negative = stronger): ``-exp(N(log 0.25, 0.7))`` for module pairs, ``-exp(N(log 0.12,
  0.7))`` for chance pairs, so the two overlap substantially.

``noise_model="negbin"`` is a second, independent generator for the same truth layout, so that a
method is never judged only on the data it was tuned on. It differs in every part that shapes the
expression:

* module sizes are uneven: miRNAs per module from a geometric-like law on the given range (many
  small modules, a few large), mRNAs log-uniform on the given range;
* background factors are shared by *both* modalities and every feature (module members included)
  loads on two of them with Gaussian loadings, plus three sample subtypes that shift 20% of the
  features, so background correlation is dense, not one factor per feature;
* a target's repression is the programme of its module damped by ``U(0.6, 1.2)``, on top of its
  background loadings;
* both modalities are negative-binomial read counts (gamma-Poisson, dispersion ``U(0.05, 0.4)``
  per feature, log-normal library sizes); the least expressed features average 2-4 reads, so
  many of their counts are zero;
* false interactions prefer hub miRNAs and hub genes (Zipf-like weights), as miRTarBase does.

``noise_model="programmes"`` is a third generator, written for tissue-like background structure
and large modules (use it with ``mrnas_per_module=(30, 90)``):

* samples are mixtures: a tumour-purity gradient (Beta-distributed) and four subtypes with
  Dirichlet weights shift expression continuously, not in hard groups;
* background genes form co-expression programmes (immune, stromal, proliferation-like blocks of
  20-250 genes, a third of the genes) that no miRNA regulates, and every gene, module members
  included, follows purity with its own sign and strength; miRNAs load on purity and subtypes too;
* one background programme per two modules is correlated with a module's programme (r about
  0.4), the confounding a real tumour has when a pathway and a miRNA programme co-vary;
* a target's repression strength is log-normal (some targets barely respond);
* miRNA counts come from a composition (a few miRNAs take most of each library, multinomial
  sampling), mRNA counts are negative-binomial with gene-specific dispersion;
* false interactions are drawn half from hub-weighted pairs and half between module miRNAs and
  genes of the confounded background programmes (they correlate, but are not targets).
"""

from __future__ import annotations

import json
import logging
import string
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mirmodules._random import derive_seed
from mirmodules.config import SimulationParameters
from mirmodules.datatypes import ModuleSet, module_set_from_members
from mirmodules.inputs.io import PREDICTED_COLUMNS

logger = logging.getLogger(__name__)

_GENE_PREFIXES = (
    "ZNF SLC TMEM CCDC FAM ANKRD LRRC RNF TRIM KLHL PCDH ADAM ABCA CDK MAPK RAB ARHGEF DNAJB HOXA "
    "SOX FOXO KRT COL ATP NDUF RPL PSMD EIF WDR USP UBE2 SEC GPR TBC1D PPP1R SH3 KIF MYO NUP PIK3 "
    "SMAD WNT TNF IL CXCL CD ITGA LAMA SEMA EPHA NOTCH BMP FGF PDGF VEGF HSP GST CYP AKR ALDH"
).split()





def _empty_predicted() -> pd.DataFrame:
    return pd.DataFrame({"mirna": pd.Series(dtype=str), "target": pd.Series(dtype=str),
                         "score": pd.Series(dtype=float)})


@dataclass(frozen=True)
class SimulatedCohort:
    """A simulated cohort and its truth. Expression frames are features x samples; ``predicted``
    is a predicted-target table (``mirna``, ``target``, ``score``; negative, lower = stronger)."""

    mirna: pd.DataFrame
    mrna: pd.DataFrame
    interactions: pd.DataFrame
    truth: ModuleSet
    families: pd.DataFrame
    gene_sets: dict[str, list[str]]
    clinical: pd.DataFrame
    parameters: SimulationParameters
    notes: dict = field(default_factory=dict)
    predicted: pd.DataFrame = field(default_factory=_empty_predicted)

    @staticmethod
    def write_paths(out_dir: str | Path) -> dict[str, Path]:
        """The file of each part of a cohort written into ``out_dir`` (name -> path)."""
        out = Path(out_dir)
        return {
            "mirna": out / "mirna.tsv",
            "mrna": out / "mrna.tsv",
            "interactions": out / "interactions.tsv",
            "truth": out / "truth.tsv",
            "families": out / "families.tsv",
            "gene_sets": out / "gene_sets.gmt",
            "clinical": out / "clinical.tsv",
            "predicted": out / "predicted.tsv",
            "parameters": out / "simulation.json",
        }

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write the cohort's files into ``out_dir`` (created); return name -> path."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = self.write_paths(out)
        self.mirna.rename_axis("mirna").to_csv(paths["mirna"], sep="\t")
        self.mrna.rename_axis("gene").to_csv(paths["mrna"], sep="\t", float_format="%.5g", na_rep="NA")
        self.interactions.to_csv(paths["interactions"], sep="\t", index=False)
        self.truth.members.to_csv(paths["truth"], sep="\t", index=False)
        self.families.to_csv(paths["families"], sep="\t", index=False)
        with open(paths["gene_sets"], "w", encoding="utf-8") as handle:
            for name, genes in self.gene_sets.items():
                handle.write("\t".join([name, "simulated gene set", *genes]) + "\n")
        self.clinical.to_csv(paths["clinical"], sep="\t", index=False)
        self.predicted.to_csv(paths["predicted"], sep="\t", index=False, columns=list(PREDICTED_COLUMNS))
        paths["parameters"].write_text(
            json.dumps({"parameters": asdict(self.parameters), "notes": self.notes}, indent=2) + "\n",
            encoding="utf-8",
        )
        return paths


def _gene_names(rng: np.random.Generator, n: int) -> list[str]:
    names: dict[str, None] = {}
    letters = string.ascii_uppercase[:6]
    while len(names) < n:
        prefix = _GENE_PREFIXES[rng.integers(len(_GENE_PREFIXES))]
        name = f"{prefix}{rng.integers(1, 400)}"
        if rng.random() < 0.3:
            name += letters[rng.integers(len(letters))]
        names.setdefault(name, None)
    return list(names)


def _mirna_families(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """miRNA names in families: returns (names, family of each name)."""
    numbers = rng.permutation(np.arange(1, 2000))
    names: list[str] = []
    families: list[str] = []
    i = 0
    while len(names) < n:
        base = int(numbers[i])
        i += 1
        size = int(rng.choice([1, 1, 2, 3, 4]))
        arm = "5p" if rng.random() < 0.5 else "3p"
        for j in range(size):
            if len(names) == n:
                break
            suffix = string.ascii_lowercase[j] if size > 1 else ""
            names.append(f"hsa-miR-{base}{suffix}-{arm}")
            families.append(f"mir-{base}")
    return names, families


def _module_size(rng: np.random.Generator, bounds: tuple[int, int], *, uneven: bool, law: str) -> int:
    """Size of one planted module: uniform on ``bounds``, or uneven (geometric / log-uniform)."""
    lo, hi = bounds
    if not uneven or lo == hi:
        return int(rng.integers(lo, hi + 1))
    if law == "geometric":
        sizes = np.arange(lo, hi + 1)
        weights = 0.7 ** (sizes - lo)
        return int(rng.choice(sizes, p=weights / weights.sum()))
    return int(np.clip(round(float(np.exp(rng.uniform(np.log(lo), np.log(hi + 1))))), lo, hi))


def _gaussian_expression(
    rng: np.random.Generator,
    params: SimulationParameters,
    module_mirnas: list[list[int]],
    module_mrnas: list[list[int]],
    programmes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The first generator: Gaussian profiles, miRNA Poisson counts, mRNA log2 values."""
    n = params.n_samples
    background = rng.standard_normal((max(params.n_background_factors, 1), n))

    def profiles(n_feat: int, member_lists: list[list[int]], sign: float) -> np.ndarray:
        x = rng.standard_normal((n_feat, n))
        in_module = np.zeros(n_feat, dtype=bool)
        for m, idx in enumerate(member_lists):
            load = params.signal * rng.uniform(0.7, 1.3, size=len(idx))
            x[idx] += sign * load[:, None] * programmes[m]
            in_module[idx] = True
        if params.n_background_factors:
            others = np.flatnonzero(~in_module)
            loaded = others[rng.random(len(others)) < 0.7]
            factor = rng.integers(params.n_background_factors, size=len(loaded))
            load = rng.uniform(0.3, 1.2, size=len(loaded)) * rng.choice([-1, 1], size=len(loaded))
            x[loaded] += load[:, None] * background[factor]
        return x

    n_mir, n_gene = params.n_mirnas, params.n_mrnas
    mir_profile = profiles(n_mir, module_mirnas, +1.0)
    gene_profile = profiles(n_gene, module_mrnas, -1.0)
    mir_base = rng.uniform(3.0, 12.0, size=(n_mir, 1))
    library = rng.lognormal(0.0, 0.25, size=(1, n))
    mir_counts = rng.poisson(np.exp2(mir_base + 0.8 * mir_profile) * library).astype(np.int64)
    gene_base = rng.uniform(2.0, 12.0, size=(n_gene, 1))
    mrna_values = gene_base + 0.8 * gene_profile
    _add_missing(rng, mrna_values)
    return mir_counts, mrna_values


def _add_missing(rng: np.random.Generator, values: np.ndarray) -> None:
    """Missing values in 1% of the rows; a quarter of those above the 10% filter."""
    n_rows, n = values.shape
    for row in rng.choice(n_rows, size=max(1, n_rows // 100), replace=False):
        share = 0.3 if rng.random() < 0.25 else 0.04
        cols = rng.choice(n, size=max(1, int(share * n)), replace=False)
        values[row, cols] = np.nan


def _negbin_expression(
    rng: np.random.Generator,
    params: SimulationParameters,
    module_mirnas: list[list[int]],
    module_mrnas: list[list[int]],
    programmes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The second generator (see the module docstring): NB counts in both modalities."""
    n, n_mir, n_gene = params.n_samples, params.n_mirnas, params.n_mrnas
    n_fac = max(params.n_background_factors, 1)
    factors = rng.standard_normal((n_fac, n))
    subtype = rng.integers(3, size=n)
    subtype_effect = np.eye(3)[subtype].T - 1.0 / 3.0            # 3 x n, centred

    def log_profile(
        n_feat: int, member_lists: list[list[int]], sign: float, damp: tuple[float, float]
    ) -> np.ndarray:
        x = 0.5 * rng.standard_normal((n_feat, n))
        if params.n_background_factors:
            for _ in range(2):                                   # every feature loads on 2 factors
                which = rng.integers(n_fac, size=n_feat)
                x += rng.normal(0.0, 0.35, size=(n_feat, 1)) * factors[which]
        shifted = rng.random(n_feat) < 0.2
        x[shifted] += rng.normal(0.0, 0.8, size=(int(shifted.sum()), 3)) @ subtype_effect
        for m, idx in enumerate(member_lists):
            load = params.signal * rng.uniform(*damp, size=len(idx))
            x[idx] += sign * load[:, None] * programmes[m]
        return x

    def counts(log_mean: np.ndarray, base_range: tuple[float, float]) -> np.ndarray:
        base = rng.uniform(*base_range, size=(len(log_mean), 1))
        library = rng.lognormal(0.0, 0.35, size=(1, n))
        mu = np.exp2(base + log_mean) * library
        dispersion = rng.uniform(0.05, 0.4, size=(len(log_mean), 1))
        lam = rng.gamma(shape=1.0 / dispersion, scale=mu * dispersion)
        return rng.poisson(lam).astype(np.int64)

    mir = counts(log_profile(n_mir, module_mirnas, +1.0, (0.7, 1.3)), (1.0, 13.0))
    gene = counts(log_profile(n_gene, module_mrnas, -1.0, (0.6, 1.2)), (2.0, 12.0))
    return mir, gene


def _programme_expression(
    rng: np.random.Generator,
    params: SimulationParameters,
    module_mirnas: list[list[int]],
    module_mrnas: list[list[int]],
    programmes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """The third generator (see the module docstring); also returns the genes of the background
    programmes that co-vary with a module programme (false interactions prefer them)."""
    n, n_mir, n_gene = params.n_samples, params.n_mirnas, params.n_mrnas
    purity = rng.beta(4.0, 2.0, size=n)
    purity = (purity - purity.mean()) / purity.std()
    subtype = rng.dirichlet(np.full(4, 0.5), size=n).T                  # 4 x n, rows sum to 1 per sample
    subtype = subtype - subtype.mean(axis=1, keepdims=True)
    in_module = np.zeros(n_gene, dtype=bool)
    for idx in module_mrnas:
        in_module[idx] = True
    free = rng.permutation(np.flatnonzero(~in_module))
    n_blocks = max(2, params.n_background_factors)
    sizes = np.clip(np.exp(rng.uniform(np.log(20), np.log(250), size=n_blocks)).astype(int), 20, None)
    block_of = np.full(n_gene, -1)
    start = 0
    block_programmes = rng.standard_normal((n_blocks, n))
    confounded: list[int] = []
    for b, size in enumerate(sizes):
        genes = free[start:start + size]
        start += size
        if len(genes) == 0:
            break
        block_of[genes] = b
        if b < len(module_mrnas) // 2:                                   # co-varies with a module
            m = 2 * b
            block_programmes[b] = 0.4 * programmes[m] + np.sqrt(1 - 0.16) * block_programmes[b]
            confounded.extend(int(g) for g in genes)

    def log_profile(n_feat: int, blocks: np.ndarray | None) -> np.ndarray:
        x = 0.6 * rng.standard_normal((n_feat, n))
        x += rng.normal(0.0, 0.4, size=(n_feat, 1)) * purity
        x += rng.normal(0.0, 0.35, size=(n_feat, 4)) @ subtype * 2.0
        if blocks is not None:
            member = blocks >= 0
            load = rng.uniform(0.5, 1.1, size=int(member.sum())) * rng.choice([-1, 1], size=int(member.sum()))
            x[member] += load[:, None] * block_programmes[blocks[member]]
        return x

    mir_log = log_profile(n_mir, None)
    for m, idx in enumerate(module_mirnas):
        mir_log[idx] += params.signal * rng.uniform(0.7, 1.3, size=(len(idx), 1)) * programmes[m]
    gene_log = log_profile(n_gene, block_of)
    for m, idx in enumerate(module_mrnas):
        strength = params.signal * np.clip(rng.lognormal(-0.15, 0.45, size=(len(idx), 1)), 0.15, 2.5)
        gene_log[idx] -= strength * programmes[m]
    # miRNAs: composition (Zipf-like abundances), multinomial reads per sample
    abundance = np.log(1.0 / np.arange(1, n_mir + 1) ** 1.4)[rng.permutation(n_mir)][:, None]
    weights = np.exp(abundance + 0.9 * mir_log)
    weights /= weights.sum(axis=0, keepdims=True)
    depth = rng.lognormal(np.log(2e6), 0.4, size=n).astype(np.int64)
    mir = np.stack([rng.multinomial(depth[j], weights[:, j]) for j in range(n)], axis=1).astype(np.int64)
    base = rng.uniform(1.5, 11.0, size=(n_gene, 1))
    library = rng.lognormal(0.0, 0.3, size=(1, n))
    mu = np.exp2(base + 0.9 * gene_log) * library
    dispersion = np.exp(rng.normal(np.log(0.15), 0.6, size=(n_gene, 1)))
    gene = rng.poisson(rng.gamma(shape=1.0 / dispersion, scale=mu * dispersion)).astype(np.int64)
    return mir, gene, confounded


def _predicted_scores(rng: np.random.Generator, n: int, magnitude: float) -> np.ndarray:
    """TargetScan-like scores: ``-exp(N(log magnitude, 0.7))``, three decimals, never 0."""
    return -np.maximum(np.round(np.exp(rng.normal(np.log(magnitude), 0.7, size=n)), 3), 0.001)


def _simulate_predicted(
    rng: np.random.Generator,
    settings: SimulationParameters,
    module_mirnas: list[list[int]],
    module_mrnas: list[list[int]],
    mirna_names: list[str],
    gene_names: list[str],
    validated: set[tuple[str, str]],
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The predicted-target table (see the module docstring) and its counts for ``notes``.

    ``validated`` holds the pairs of the interaction table; a planted mRNA with no pair there to
    its module's miRNAs is counted as without a validated interaction."""
    true_pairs: list[tuple[int, int]] = []
    block: set[tuple[int, int]] = set()
    n_unvalidated = n_unvalidated_predicted = n_reachable = 0
    for mirs, genes in zip(module_mirnas, module_mrnas, strict=True):
        block.update((i, j) for i in mirs for j in genes)
        predicted = rng.random((len(mirs), len(genes))) < settings.predicted_coverage
        reachable = rng.random(len(genes)) < settings.predicted_member_coverage
        fill = rng.integers(len(mirs), size=len(genes))
        for col in range(len(genes)):
            if not reachable[col]:
                predicted[:, col] = False
            elif not predicted[:, col].any():
                predicted[fill[col], col] = True
        true_pairs += [(mirs[r], genes[c]) for r, c in np.argwhere(predicted)]
        n_reachable += int(reachable.sum())
        for col, j in enumerate(genes):
            if not any((mirna_names[i], gene_names[j]) in validated for i in mirs):
                n_unvalidated += 1
                n_unvalidated_predicted += int(reachable[col])
    n_chance = (3 * len(true_pairs) if settings.predicted_chance_pairs is None
                else settings.predicted_chance_pairs)
    n_mir, n_gene = len(mirna_names), len(gene_names)
    n_chance = min(n_chance, n_mir * n_gene - len(block))
    chance: dict[tuple[int, int], None] = {}
    while len(chance) < n_chance:
        for flat in rng.integers(n_mir * n_gene, size=max(64, 2 * (n_chance - len(chance)))):
            pair = divmod(int(flat), n_gene)
            if pair not in block:
                chance.setdefault(pair, None)
                if len(chance) == n_chance:
                    break
    pairs = true_pairs + list(chance)
    scores = np.concatenate([_predicted_scores(rng, len(true_pairs), 0.25),
                             _predicted_scores(rng, len(chance), 0.12)])
    table = pd.DataFrame({
        "mirna": [mirna_names[i] for i, _ in pairs],
        "target": [gene_names[j] for _, j in pairs],
        "score": scores,
    }).sort_values(["mirna", "target"], kind="mergesort").reset_index(drop=True)
    in_module = {j for genes in module_mrnas for j in genes}
    counts = {
        "predicted_pairs": len(table),
        "predicted_true_pairs": len(true_pairs),
        "predicted_chance_pairs": len(chance),
        "predicted_chance_pairs_outside_modules": sum(j not in in_module for _, j in chance),
        "planted_mrnas": len(in_module),
        "planted_mrnas_predicted": n_reachable,
        "planted_mrnas_without_validated_interaction": n_unvalidated,
        "planted_mrnas_without_validated_interaction_predicted": n_unvalidated_predicted,
    }
    return table, counts


def simulate_cohort(parameters: SimulationParameters | None = None, **overrides: object) -> SimulatedCohort:
    """Simulate a matched miRNA/mRNA cohort with planted modules.

    Parameters
    ----------
    parameters
        :class:`SimulationParameters`; keyword ``overrides`` replace single fields
        (``simulate_cohort(n_samples=60, seed=3)``).

    Returns
    -------
    SimulatedCohort

    Examples
    --------
    >>> cohort = simulate_cohort(n_samples=40, n_mirnas=30, n_mrnas=200, n_modules=2, seed=1)
    >>> cohort.truth.n_modules
    2
    """
    params = parameters or SimulationParameters()
    if overrides:
        params = SimulationParameters(**{**asdict(params), **overrides})
    params.validate()
    capped = {name: min(getattr(params, name), params.n_modules)
              for name in ("n_family_modules", "n_geneset_modules", "n_prognostic_modules")}
    params = SimulationParameters(**{**asdict(params), **capped})
    rng = np.random.default_rng(params.seed)
    n, n_mir, n_gene = params.n_samples, params.n_mirnas, params.n_mrnas

    mirna_names, mirna_family = _mirna_families(rng, n_mir)
    gene_names = _gene_names(rng, n_gene)
    patients = [f"TCGA-SM-{i:04d}" for i in range(1, n + 1)]
    samples = [f"{p}-01A" for p in patients]

    # planted modules: miRNAs (some from one family) and targets, disjoint across modules
    family_of = np.array(mirna_family)
    free_mir = set(range(n_mir))
    free_gene = list(rng.permutation(n_gene))
    module_mirnas: list[list[int]] = []
    module_mrnas: list[list[int]] = []
    negbin = params.noise_model in ("negbin", "programmes")  # uneven sizes, hub-weighted false pairs
    for m in range(params.n_modules):
        size = _module_size(rng, params.mirnas_per_module, uneven=negbin, law="geometric")
        chosen: list[int] = []
        if m < params.n_family_modules and size >= 2:
            # the largest family among the free miRNAs; ties broken by name, so that the
            # cohort does not depend on how a library orders equal counts
            sizes = Counter(str(family_of[i]) for i in free_mir)
            fams = sorted((-k, name) for name, k in sizes.items() if k >= 2)
            if fams:
                fam = fams[0][1]
                same_family = [i for i in sorted(free_mir) if family_of[i] == fam]
                chosen = same_family[: min(len(same_family), size)]
        rest = sorted(free_mir - set(chosen))
        chosen += list(rng.choice(rest, size=size - len(chosen), replace=False))
        free_mir -= set(chosen)
        module_mirnas.append(sorted(int(i) for i in chosen))
        size_t = _module_size(rng, params.mrnas_per_module, uneven=negbin, law="log_uniform")
        module_mrnas.append(sorted(int(free_gene.pop()) for _ in range(size_t)))

    # expression
    programmes = rng.standard_normal((params.n_modules, n))
    confounded: list[int] = []
    if params.noise_model == "programmes":
        mirna_values, mrna_values, confounded = _programme_expression(
            rng, params, module_mirnas, module_mrnas, programmes)
    elif negbin:
        mirna_values, mrna_values = _negbin_expression(rng, params, module_mirnas, module_mrnas, programmes)
    else:
        mirna_values, mrna_values = _gaussian_expression(rng, params, module_mirnas, module_mrnas,
                                                         programmes)
    mirna = pd.DataFrame(mirna_values, index=mirna_names, columns=samples)
    mrna = pd.DataFrame(mrna_values, index=gene_names, columns=samples)

    # interactions
    true_pairs = []
    for mirs, genes in zip(module_mirnas, module_mrnas, strict=True):
        dense = rng.random((len(mirs), len(genes))) < params.interaction_density
        for j in range(len(genes)):              # every target has at least one regulator
            if not dense[:, j].any():
                dense[rng.integers(len(mirs)), j] = True
        for i in range(len(mirs)):
            if not dense[i].any():
                dense[i, rng.integers(len(genes))] = True
        true_pairs += [(mirna_names[mirs[i]], gene_names[genes[j]]) for i, j in np.argwhere(dense)]
    n_true = len(true_pairs)
    keep = rng.random(n_true) >= params.missing_rate
    kept = [p for p, k in zip(true_pairs, keep, strict=True) if k]
    planted = set(true_pairs)
    n_false = round(params.false_positive_rate / (1 - params.false_positive_rate) * len(kept))
    false_pairs: set[tuple[str, str]] = set()
    if negbin:  # hub miRNAs and hub genes collect most false records
        mir_weight = 1.0 / np.arange(1, n_mir + 1) ** 0.8
        gene_weight = 1.0 / np.arange(1, n_gene + 1) ** 0.5
        mir_weight, gene_weight = rng.permutation(mir_weight), rng.permutation(gene_weight)
        mir_p, gene_p = mir_weight / mir_weight.sum(), gene_weight / gene_weight.sum()
    module_mirna_names = [mirna_names[i] for mirs in module_mirnas for i in mirs]
    while len(false_pairs) < n_false:
        if confounded and rng.random() < 0.5:   # a module miRNA and a co-varying background gene
            pair = (module_mirna_names[rng.integers(len(module_mirna_names))],
                    gene_names[confounded[rng.integers(len(confounded))]])
        elif negbin:
            pair = (mirna_names[rng.choice(n_mir, p=mir_p)], gene_names[rng.choice(n_gene, p=gene_p)])
        else:
            pair = (mirna_names[rng.integers(n_mir)], gene_names[rng.integers(n_gene)])
        if pair not in planted:
            false_pairs.add(pair)
    table = kept + sorted(false_pairs)
    order = rng.permutation(len(table))
    interactions = pd.DataFrame([table[i] for i in order], columns=["mirna", "target"])

    # truth
    width = max(2, len(str(params.n_modules)))
    members: list[tuple[str, str, str]] = []
    for m, (mirs, genes) in enumerate(zip(module_mirnas, module_mrnas, strict=True), start=1):
        mid = f"T{m:0{width}d}"
        members += [(mid, mirna_names[i], "mirna") for i in mirs]
        members += [(mid, gene_names[j], "mrna") for j in genes]
    truth = module_set_from_members(
        pd.DataFrame(members, columns=["module_id", "feature", "kind"]), interactions
    )

    families = pd.DataFrame({"mirna": mirna_names, "family": mirna_family})

    gene_sets: dict[str, list[str]] = {}
    for m in range(params.n_geneset_modules):
        module_genes = [gene_names[j] for j in module_mrnas[m]]
        core = list(rng.choice(module_genes, size=max(2, int(0.6 * len(module_genes))), replace=False))
        extra = [gene_names[j] for j in rng.choice(n_gene, size=len(core), replace=False)]
        gene_sets[f"SIM_PATHWAY_MODULE_T{m + 1:0{width}d}"] = sorted(set(core + extra))
    for s in range(params.n_random_gene_sets):
        size = int(rng.integers(15, 101))
        gene_sets[f"SIM_RANDOM_SET_{s + 1:03d}"] = sorted(
            gene_names[j] for j in rng.choice(n_gene, size=min(size, n_gene), replace=False))

    risk = params.survival_effect * programmes[: params.n_prognostic_modules].sum(axis=0)
    event_time = rng.exponential(600.0 * np.exp(-risk))
    censor_time = rng.uniform(200.0, 3000.0, size=n)
    clinical = pd.DataFrame({
        "sample": patients,
        "os_time_days": np.maximum(1, np.round(np.minimum(event_time, censor_time))).astype(int),
        "os_event": (event_time <= censor_time).astype(int),
    })
    # predicted targets: their own generator, so that every output above is as without them
    predicted, predicted_counts = _simulate_predicted(
        np.random.default_rng(derive_seed(params.seed, "predicted")), params, module_mirnas,
        module_mrnas, mirna_names, gene_names, set(table))
    notes = {
        "n_true_pairs": n_true,
        "n_true_pairs_kept": len(kept),
        "n_false_pairs": len(false_pairs),
        "prognostic_modules": [f"T{m + 1:0{width}d}" for m in range(params.n_prognostic_modules)],
        "family_modules": [f"T{m + 1:0{width}d}" for m in range(params.n_family_modules)],
        "geneset_modules": [f"T{m + 1:0{width}d}" for m in range(params.n_geneset_modules)],
        **predicted_counts,
    }
    logger.info("simulated %d samples, %d miRNAs, %d mRNAs, %d modules, %d interactions, %d predicted "
                "pairs (%d in modules, %d by chance)", n, n_mir, n_gene, params.n_modules,
                len(interactions), len(predicted), predicted_counts["predicted_true_pairs"],
                predicted_counts["predicted_chance_pairs"])
    return SimulatedCohort(mirna, mrna, interactions, truth, families, gene_sets, clinical, params, notes,
                           predicted)
