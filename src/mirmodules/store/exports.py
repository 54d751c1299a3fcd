"""Module sets in the formats other tools read: GMT, a decoupler-style network, per-sample activity.

* :func:`module_network`: one row per (module, miRNA, target) interaction, columns ``source``
  (miRNA), ``target`` (mRNA), ``weight``, ``correlation``, ``module_id``, ``interaction`` and,
  when the interaction table has it, ``support_type``. ``weight`` follows decoupler's sign
  convention (negative = the source represses the target) and equals the Pearson correlation of
  the two profiles in the analysed samples, so its size is the strength of the repression there.
* :func:`module_gmt`: each module's mRNAs as one gene set (GSEA, gseapy, decoupler ``read_gmt``).
* :func:`module_activity`: per module and sample, the mean z-score of its miRNAs and of its
  mRNAs, and ``repression_score`` = miRNA mean minus mRNA mean (high where the module's miRNAs are
  up and their targets down).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirmodules.datatypes import EVIDENCE_COLUMNS, ModuleSet
from mirmodules.inputs.preprocessing import standardise_rows
from mirmodules.methods.join import interaction_correlations

NETWORK_COLUMNS = ["source", "target", "weight", "correlation", "module_id", "interaction"]
ACTIVITY_COLUMNS = ["module_id", "sample", "mirna_activity", "mrna_activity", "repression_score"]


def _z(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(standardise_rows(frame.to_numpy(dtype=float)), index=frame.index,
                        columns=frame.columns)


def module_network(
    modules: ModuleSet,
    *,
    mirna_expression: pd.DataFrame | None = None,
    mrna_expression: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The modules' interactions as a directed, weighted network (see the module docstring).

    Without expression, ``weight`` and ``correlation`` are NaN.

    >>> import pandas as pd
    >>> from mirmodules.datatypes import module_set_from_members
    >>> members = pd.DataFrame({"module_id": ["M1"] * 3, "feature": ["a", "x", "y"],
    ...                         "kind": ["mirna", "mrna", "mrna"]})
    >>> inter = pd.DataFrame({"mirna": ["a", "a"], "target": ["x", "y"]})
    >>> mods = module_set_from_members(members, inter)
    >>> mir = pd.DataFrame([[1.0, 2.0, 3.0]], index=["a"])
    >>> mrna = pd.DataFrame([[3.0, 2.0, 1.0], [1.0, 2.0, 4.0]], index=["x", "y"])
    >>> module_network(mods, mirna_expression=mir, mrna_expression=mrna)[["source", "target", "weight"]]
      source target  weight
    0      a      x  -1.000
    1      a      y   0.982
    """
    edges = modules.edges.rename(columns={"mirna": "source"})
    out = edges.assign(interaction="represses")
    if mirna_expression is not None and mrna_expression is not None and len(out):
        samples = [s for s in mirna_expression.columns if s in set(mrna_expression.columns)]
        r = interaction_correlations(modules.edges, mirna_expression[samples], mrna_expression[samples])
        out["correlation"] = np.round(r, 4)
    else:
        out["correlation"] = np.nan
    out["weight"] = out["correlation"]
    columns = list(NETWORK_COLUMNS)
    if interactions is not None and "support_type" in interactions:
        support = interactions.drop_duplicates(["mirna", "target"]).set_index(["mirna", "target"])
        keys = pd.MultiIndex.from_arrays([out["source"], out["target"]])
        out["support_type"] = support["support_type"].reindex(keys).to_numpy()
        columns.append("support_type")
    columns += [c for c in EVIDENCE_COLUMNS if c in out]  # with --predicted
    return out[columns].reset_index(drop=True)


def module_gmt(modules: ModuleSet) -> str:
    """GMT text: one line per module, ``module_id``, a description naming its miRNAs, its mRNAs.

    >>> import pandas as pd
    >>> from mirmodules.datatypes import module_set_from_members
    >>> members = pd.DataFrame({"module_id": ["M1"] * 3, "feature": ["a", "x", "y"],
    ...                         "kind": ["mirna", "mrna", "mrna"]})
    >>> module_gmt(module_set_from_members(members, pd.DataFrame(columns=["mirna", "target"]))).split("\\t")
    ['M1', 'mirmodules module M1; miRNAs: a', 'x', 'y\\n']
    """
    lines = []
    for module_id, (mirnas, mrnas) in modules.groups().items():
        description = f"mirmodules module {module_id}; miRNAs: {','.join(mirnas)}"
        lines.append("\t".join([module_id, description, *mrnas]))
    return "".join(line + "\n" for line in lines)


def module_activity(
    modules: ModuleSet, mirna_expression: pd.DataFrame, mrna_expression: pd.DataFrame
) -> pd.DataFrame:
    """Per-sample module activity in tidy form (columns :data:`ACTIVITY_COLUMNS`).

    Profiles are z-scored per feature over the samples both matrices share; a module's activity in
    a sample is the mean z of its miRNAs (``mirna_activity``) and of its mRNAs (``mrna_activity``).

    >>> import pandas as pd
    >>> from mirmodules.datatypes import module_set_from_members
    >>> members = pd.DataFrame({"module_id": ["M1"] * 3, "feature": ["a", "x", "y"],
    ...                         "kind": ["mirna", "mrna", "mrna"]})
    >>> mods = module_set_from_members(members, pd.DataFrame(columns=["mirna", "target"]))
    >>> mir = pd.DataFrame([[1.0, 3.0]], index=["a"], columns=["s1", "s2"])
    >>> mrna = pd.DataFrame([[3.0, 1.0], [5.0, 1.0]], index=["x", "y"], columns=["s1", "s2"])
    >>> module_activity(mods, mir, mrna)
      module_id sample  mirna_activity  mrna_activity  repression_score
    0        M1     s1            -1.0            1.0              -2.0
    1        M1     s2             1.0           -1.0               2.0
    """
    samples = [s for s in mirna_expression.columns if s in set(mrna_expression.columns)]
    members = set(modules.members["feature"])  # z-scores row by row: members alone suffice
    zm = _z(mirna_expression.loc[mirna_expression.index.isin(members), samples])
    zg = _z(mrna_expression.loc[mrna_expression.index.isin(members), samples])
    frames = []
    for module_id, (mirnas, mrnas) in modules.groups().items():
        mir_mean = zm.loc[mirnas].mean(axis=0).to_numpy()
        mrna_mean = zg.loc[mrnas].mean(axis=0).to_numpy()
        frames.append(pd.DataFrame({
            "module_id": module_id, "sample": samples, "mirna_activity": mir_mean,
            "mrna_activity": mrna_mean, "repression_score": mir_mean - mrna_mean,
        }))
    if not frames:
        return pd.DataFrame(columns=ACTIVITY_COLUMNS)
    return pd.concat(frames, ignore_index=True)[ACTIVITY_COLUMNS]
