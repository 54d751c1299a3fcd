from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from _shared import shared_file

from mirmodules import (
    InputDataError,
    MicaConfig,
    identify_modules,
    prepare_inputs,
    read_modules,
    recovery_scores,
    run_from_files,
    save_result,
    simulate_cohort,
)
from mirmodules.exceptions import DataQualityWarning
from mirmodules.methods.mica.pipeline import cluster_and_join

# small cohorts often have no elbow by the rule; the fallback warning is expected there
pytestmark = pytest.mark.filterwarnings("ignore::mirmodules.exceptions.NoElbowWarning")


def test_prepare_counts_everything(small_cohort):
    mirna = small_cohort.mirna.copy()
    mirna["EXTRA-SAMPLE"] = 5                               # only in the miRNA file
    inter = pd.concat([small_cohort.interactions,
                       pd.DataFrame({"mirna": ["hsa-miR-1-5p"], "target": ["NOT_A_GENE"]})])
    prepared = prepare_inputs(mirna, small_cohort.mrna, inter)
    counts = prepared.counts
    assert counts["samples_matched"] == 40 and counts["samples_only_mirna"] == 1
    assert counts["interaction_pairs_used"] == len(small_cohort.interactions)
    assert (counts["interaction_pairs_mirna_not_analysed"]
            + counts["interaction_pairs_target_not_analysed"]) == 1
    assert prepared.mirna.shape == (30, 40)
    steps = prepared.preprocessing
    assert set(steps["modality"]) == {"mirna", "mrna"}


def test_no_shared_samples_is_a_clear_error(small_cohort):
    mrna = small_cohort.mrna.rename(columns=lambda s: s + "-X")
    with pytest.raises(InputDataError, match="No sample id is shared"):
        prepare_inputs(small_cohort.mirna, mrna, small_cohort.interactions)


def test_no_mirna_overlap_names_both_id_styles(small_cohort):
    inter = small_cohort.interactions.assign(mirna=lambda d: [f"MIMAT{i:07d}" for i in range(len(d))])
    with pytest.raises(InputDataError, match=r"MIMAT accessions.*--mirbase"):
        prepare_inputs(small_cohort.mirna, small_cohort.mrna, inter)


def test_no_target_overlap_is_a_clear_error(small_cohort):
    inter = small_cohort.interactions.assign(target="ENSG00000000003")
    with pytest.raises(InputDataError, match="No target"):
        prepare_inputs(small_cohort.mirna, small_cohort.mrna, inter)


def test_same_seed_identical_modules_different_seed_runs(small_cohort, fast_config, tmp_path):
    a = identify_modules(small_cohort.mirna, small_cohort.mrna, small_cohort.interactions,
                         config=fast_config)
    b = identify_modules(small_cohort.mirna, small_cohort.mrna, small_cohort.interactions,
                         config=fast_config)
    save_result(a, tmp_path / "a")
    save_result(b, tmp_path / "b")
    assert (tmp_path / "a" / "modules.tsv").read_bytes() == (tmp_path / "b" / "modules.tsv").read_bytes()
    assert (tmp_path / "a" / "codes_mrna.tsv.gz").exists()
    pd.testing.assert_frame_equal(a.codes["mrna"], b.codes["mrna"])


def test_sample_column_order_invariance_with_sorted_order(small_cohort, fast_config):
    cfg = MicaConfig(**{**fast_config.to_dict(), "sample_order": "sorted"})
    rng = np.random.default_rng(0)
    cols = list(rng.permutation(small_cohort.mirna.columns))
    a = identify_modules(small_cohort.mirna, small_cohort.mrna, small_cohort.interactions, config=cfg)
    b = identify_modules(small_cohort.mirna[cols], small_cohort.mrna, small_cohort.interactions,
                         config=cfg)
    pd.testing.assert_frame_equal(a.modules.members, b.modules.members)
    assert a.prepared.samples == sorted(small_cohort.mirna.columns)


@pytest.mark.parametrize(("noise_model", "bound"), [("gaussian", 0.85), ("negbin", 0.55)])
def test_planted_modules_are_recovered_and_shuffled_interactions_are_not(noise_model, bound):
    # the demo cohort shape (120 samples, 100 miRNAs, 2,000 mRNAs, 6 planted modules) from both
    # generators, no false positives; default settings
    cohort = simulate_cohort(seed=1, false_positive_rate=0.0, noise_model=noise_model)
    config = MicaConfig(seed=1)
    found = identify_modules(cohort.mirna, cohort.mrna, cohort.interactions, config=config)
    rng = np.random.default_rng(0)
    shuffled = cohort.interactions.assign(
        target=rng.permutation(cohort.interactions["target"].to_numpy()))
    # the negative control joins the same codes through shuffled interactions (training the
    # autoencoder again would test the same thing at twice the cost)
    prepared = prepare_inputs(cohort.mirna, cohort.mrna, shuffled, config=config)
    control = cluster_and_join(prepared, found.codes, config, config.seed)
    recovered = recovery_scores(cohort.truth, found.modules)["recovery"]
    chance = recovery_scores(cohort.truth, control.modules)["recovery"]
    # measured with benchmarks/mica_variants.py (docs/method_choices.md): the defaults reach the
    # join ceiling on the gaussian generator (~0.95) and ~0.7-0.8 on the harder negbin one; the
    # paper preset reaches 0.3 and 0.13 there. The bounds leave room for platform noise in the
    # autoencoder but fail if the defaults fall back to the paper's level.
    assert recovered >= bound, recovered
    assert chance <= 0.3, chance
    assert recovered - chance >= 0.3, (recovered, chance)
    summary = found.modules.summary()
    assert (summary["n_mirnas"] >= 2).all()


def test_run_directory_contents_and_manifest(small_cohort, fast_config, tmp_path):
    paths = small_cohort.write(tmp_path / "data")
    result = run_from_files(paths["mirna"], paths["mrna"], paths["interactions"], config=fast_config)
    out = save_result(result, tmp_path / "run")
    expected = {"modules.tsv", "module_edges.tsv", "module_summary.tsv", "clusters.tsv",
                "sse_curve.tsv", "codes_mrna.tsv.gz", "training_history.tsv",
                "interactions_used.tsv", "id_harmonisation.tsv", "preprocessing.tsv",
                "cytoscape_nodes.tsv", "cytoscape_edges.tsv", "modules.graphml", "manifest.json"}
    assert expected <= {p.name for p in out.iterdir()}
    assert not (out / "codes_mirna.tsv.gz").exists()  # miRNAs are not clustered by default
    sse = pd.read_csv(out / "sse_curve.tsv", sep="\t")
    expected_sse = result.clusterings["mrna"].sse_curve
    assert sse["sse"].dtype == float and sse.loc[sse["kind"] == "mrna", "sse"].to_numpy() == pytest.approx(
        expected_sse["sse"].to_numpy(), rel=1e-7)
    codes = pd.read_csv(out / "codes_mrna.tsv.gz", sep="\t", index_col=0)
    assert codes.index.name == "feature" and len(codes) == result.prepared.mrna.shape[0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert "mirna" not in manifest["training"] and manifest["clustering"]["mirna"]["k"] == 1
    assert manifest["inputs"]["mirna"]["sha256"] and len(manifest["samples"]["order"]) == 40
    import torch

    assert manifest["versions"]["torch"] == torch.__version__  # the version that ran, whichever it is
    assert {"stage1_autoencoder_mrna", "stage2_kmeans_mirna", "stage3_modules",
            "write_outputs"} <= set(manifest["seconds"])
    assert manifest["parameters"]["dropout"] == 0.3
    summary = pd.read_csv(out / "module_summary.tsv", sep="\t")
    assert list(summary.columns) == ["module_id", "n_mirnas", "n_mrnas", "n_edges", "density",
                                     "mean_correlation", "mean_edge_correlation", "confidence"]
    # the repression filter (default) keeps only modules whose centroids anti-correlate
    assert (summary["mean_correlation"] < 0).all()
    assert manifest["preset"] == "default" and manifest["training"]["mrna"]["stop_reason"]
    back = read_modules(out)
    pd.testing.assert_frame_equal(back.members, result.modules.members)
    import networkx as nx

    graph = nx.read_graphml(out / "modules.graphml")
    assert graph.number_of_edges() == result.modules.edges[["mirna", "target"]].drop_duplicates().shape[0]
    # every edge says what it is and carries the pair's correlation in the data as its weight
    edges = pd.read_csv(out / "cytoscape_edges.tsv", sep="\t")
    assert edges.columns[0] == "source" and not edges.columns.str.startswith("Unnamed").any()
    r = edges.drop_duplicates(["source", "target"]).set_index(["source", "target"])["correlation"]
    for src, tgt, attrs in graph.edges(data=True):
        assert attrs["interaction"] == "represses" and attrs["weight"] == pytest.approx(r[(src, tgt)])
    with pytest.raises(InputDataError, match="not empty"):
        save_result(result, out)


@pytest.mark.realdata
def test_gbm_with_mirtarbase_and_mirbase_accessions(tmp_path):
    gbm = "cancersubtypes_gbm"
    mirna = shared_file(gbm, "GBM_mirna_expression.tsv.gz")
    mrna = shared_file(gbm, "GBM_mrna_expression.tsv.gz")
    mti = shared_file("mirtarbase_hsa", "hsa_MTI_pairs.tsv.gz")
    tables = [shared_file("mirbase", "mature_v22_hsa.tsv.gz"),
              shared_file("mirbase", "precursor_to_mature_v18_hsa_with_family.tsv.gz")]
    # all miRTarBase evidence on these tumours: the interactions pass the repression test barely
    # more often than random pairs (1.05x), which the run says
    with pytest.warns(DataQualityWarning, match="only 1.0[0-9] times as often as random"):
        # (id mapping and the run's outputs are tested here, not the modules: one K-means run)
        config = MicaConfig(seed=0, kmeans_runs=1)
        result = run_from_files(mirna, mrna, mti, mirbase_paths=tables, config=config)
    counts = result.prepared.counts
    assert counts["samples_matched"] == 100
    assert counts["mirna_ids_dropped_unmatched"] <= 10
    assert result.prepared.mirna.shape[0] >= 450
    assert counts["interaction_pairs_used"] > 1000
    assert result.modules.n_modules >= 1
    summary = result.modules.summary()
    assert (summary["n_mirnas"] >= 2).all() and (summary["n_mrnas"] >= 2).all()
    assert ((summary["density"] > 0) & (summary["density"] <= 1)).all()
    out = save_result(result, tmp_path / "gbm")
    assert (out / "manifest.json").exists()


def test_run_directory_exports_for_other_tools(small_cohort, fast_config, tmp_path):
    import networkx as nx

    from mirmodules.inputs.annotations import read_gene_sets

    paths = small_cohort.write(tmp_path / "data")
    result = run_from_files(paths["mirna"], paths["mrna"], paths["interactions"], config=fast_config)
    out = save_result(result, tmp_path / "run")
    groups = result.modules.groups()
    assert groups, "the fast run found no module; the export test needs one"
    # GMT: read back by our GMT reader (the format of GSEA, gseapy and decoupler)
    sets = read_gene_sets(out / "modules.gmt")
    assert {m: sorted(g) for m, g in sets.sets.items()} == {m: mrnas for m, (_, mrnas) in groups.items()}
    gseapy = pytest.importorskip("gseapy", reason="gseapy (test extra) reads the GMT as GSEA users do")
    assert {m: sorted(g) for m, g in gseapy.read_gmt(str(out / "modules.gmt")).items()} == {
        m: mrnas for m, (_, mrnas) in groups.items()
    }
    # decoupler-style network: negative weight = repression; weights are the edge correlations
    network = pd.read_csv(out / "network.tsv", sep="\t")
    assert list(network.columns[:6]) == ["source", "target", "weight", "correlation", "module_id",
                                         "interaction"]
    assert len(network) == len(result.modules.edges)
    summary = pd.read_csv(out / "module_summary.tsv", sep="\t").set_index("module_id")
    by_module = network.groupby("module_id")["correlation"].mean()
    assert np.allclose(by_module, summary.loc[by_module.index, "mean_edge_correlation"], atol=1e-3)
    assert (network["weight"] < 0).all()  # the default repression test keeps repressive edges only
    # directed GraphML with the weights
    graph = nx.read_graphml(out / "modules.graphml")
    assert graph.is_directed()
    src, tgt, data = next(iter(graph.edges(data=True)))
    assert graph.nodes[src]["kind"] == "mirna" and graph.nodes[tgt]["kind"] == "mrna"
    assert data["weight"] < 0
    # per-sample activity: one row per module and sample; the score is miRNA minus mRNA activity
    activity = pd.read_csv(out / "module_activity.tsv", sep="\t")
    assert len(activity) == len(groups) * len(result.prepared.samples)
    assert np.allclose(activity["repression_score"],
                       activity["mirna_activity"] - activity["mrna_activity"], atol=2e-4)
    first = next(iter(groups))
    mirnas, _ = groups[first]
    z = result.prepared.mirna.loc[mirnas]
    z = z.sub(z.mean(axis=1), axis=0).div(z.std(axis=1, ddof=0), axis=0)
    sample = result.prepared.samples[0]
    row = activity[(activity["module_id"] == first) & (activity["sample"] == sample)]
    assert row["mirna_activity"].iloc[0] == pytest.approx(z[sample].mean(), abs=1e-4)


def test_manifest_records_peak_memory_after_each_stage(small_cohort, fast_config, tmp_path):
    import json

    paths = small_cohort.write(tmp_path / "data")
    result = run_from_files(paths["mirna"], paths["mrna"], paths["interactions"], config=fast_config)
    manifest = json.loads((save_result(result, tmp_path / "run") / "manifest.json").read_text())
    peaks = manifest["peak_rss_mib"]
    stages = list(peaks)
    assert stages[0] == "read_inputs" and stages[-1] == "write_outputs"
    assert {"prepare_inputs", "stage1_autoencoder_mrna", "stage3_modules"} <= set(peaks)
    values = list(peaks.values())
    assert values[0] > 10 and values == sorted(values)  # a peak so far never falls


def test_consensus_over_seeds_is_the_consensus_of_the_single_seed_runs(small_cohort, fast_config):
    from dataclasses import replace

    from mirmodules.methods.consensus import consensus_modules

    args = (small_cohort.mirna, small_cohort.mrna, small_cohort.interactions)
    config = replace(fast_config, consensus_seeds=3, seed=4)
    result = identify_modules(*args, config=config)
    record = result.manifest["consensus"]
    assert record["n_seeds"] == 3 and record["seeds"][0] == 4 and len(set(record["seeds"])) == 3
    # oracle: the three runs made one by one with the recorded seeds, then their consensus
    singles = [identify_modules(*args, config=replace(fast_config, seed=s)) for s in record["seeds"]]
    assert record["modules_per_seed"] == [r.modules.n_modules for r in singles]
    used = pd.concat([r.modules.edges for r in singles])  # the interactions the runs' modules used
    expected = consensus_modules([r.modules for r in singles], used)
    pd.testing.assert_frame_equal(result.modules.members, expected.members)
    pd.testing.assert_frame_equal(result.modules.edges, expected.edges)
    assert result.manifest["result"]["n_modules"] == expected.n_modules
    # codes and clusters are the first run's
    pd.testing.assert_frame_equal(result.codes["mrna"], singles[0].codes["mrna"])
    assert record["codes_and_clusters"] == "of the first run (seed 4)"
    assert result.manifest["parameters"]["consensus_seeds"] == 3
    # the same seed gives the same consensus
    again = identify_modules(*args, config=config)
    pd.testing.assert_frame_equal(again.modules.members, result.modules.members)
    with pytest.raises(InputDataError, match="consensus_seeds"):
        identify_modules(*args, config=replace(fast_config, consensus_seeds=0))


def test_manifest_records_the_repression_test_against_random_pairs(small_cohort, fast_config):
    from dataclasses import replace

    from mirmodules.methods.join import repressed_interactions, standardised_profiles

    args = (small_cohort.mirna, small_cohort.mrna, small_cohort.interactions)
    result = identify_modules(*args, config=replace(fast_config, seed=1))
    record = result.manifest["repression"]
    prepared = result.prepared
    edges = prepared.interactions[["mirna", "target"]].drop_duplicates()
    edges = edges[edges["mirna"].isin(prepared.mirna.index) & edges["target"].isin(prepared.mrna.index)]
    passing = repressed_interactions(edges, *standardised_profiles(prepared.mirna, prepared.mrna), 0.05)
    assert (record["interactions_tested"], record["interactions_passing"]) == (len(edges), len(passing))
    # planted interactions are repressive, random pairs mostly not
    assert record["ratio"] > 2 and 0 <= record["random_share_passing"] < 0.2
    assert "repression_background" in result.manifest["seeds"]
    # the same seed, the same record; no test, no record
    assert identify_modules(*args, config=replace(fast_config, seed=1)).manifest["repression"] == record
    untested = identify_modules(*args, config=replace(fast_config, repression="any"))
    assert untested.manifest["repression"] is None


def test_manifest_sums_the_refinement_counts_of_the_kmeans_runs(small_cohort, fast_config, monkeypatch,
                                                                 caplog):
    import logging
    from dataclasses import replace

    from mirmodules.methods.mica import pipeline

    seen = []
    real_join = pipeline.join_modules

    def recording(*args, **kwargs):
        joined = real_join(*args, **kwargs)
        seen.append(joined.refinement_counts)
        return joined

    monkeypatch.setattr(pipeline, "join_modules", recording)
    args = (small_cohort.mirna, small_cohort.mrna, small_cohort.interactions)
    with caplog.at_level(logging.INFO, logger="mirmodules.methods.mica.pipeline"):
        manifest = identify_modules(*args, config=replace(fast_config, kmeans_runs=3)).manifest
    record = manifest["refinement"]
    assert len(seen) == 3 and manifest["kmeans_consensus"]["runs"] == 3
    assert record == {key: sum(counts[key] for counts in seen) for key in seen[0]}
    assert 0 <= record["weak_route_modules_taken"] <= record["weak_route_modules_asked"] > 0
    # the log says the sums too, not only the first run's lines
    taken, asked = record["weak_route_modules_taken"], record["weak_route_modules_asked"]
    kept, candidates = record["single_mirna_kept"], record["single_mirna_candidates"]
    assert (f"over the 3 K-means runs the weak-target route was taken by {taken} of the {asked} modules "
            f"asked, and {kept} of {candidates} one-miRNA candidates were kept") in caplog.text
    seen.clear()
    off = identify_modules(*args, config=replace(fast_config, kmeans_runs=1, refine_weak_fdr=0))
    assert off.manifest["refinement"]["weak_route_modules_asked"] == 0
    assert off.manifest["refinement"] == seen[0] and off.manifest["kmeans_consensus"]["runs"] == 1
    assert identify_modules(*args, config=replace(fast_config, refine="none")).manifest["refinement"] is None


def test_kmeans_runs_give_the_consensus_of_single_kmeans_runs(small_cohort, fast_config):
    from dataclasses import replace

    from mirmodules._random import derive_seed
    from mirmodules.methods.consensus import consensus_modules
    from mirmodules.methods.mica.pipeline import cluster_and_join

    args = (small_cohort.mirna, small_cohort.mrna, small_cohort.interactions)
    config = replace(fast_config, kmeans_runs=3, seed=2)
    result = identify_modules(*args, config=config)
    record = result.manifest["kmeans_consensus"]
    assert record["runs"] == 3 and len(record["modules_per_run"]) == 3
    assert record["restarts_per_run"] == {"mrna": fast_config.n_init}  # given: not spread over runs
    assert "matched at member Jaccard" in record["rule"]
    # oracle: the three K-means runs one by one on the same codes, then their consensus
    one = replace(config, kmeans_runs=1)
    seed = config.seed  # stages 2-3 take the run's seed; each derives its K-means seeds from it
    run_seeds = [seed, derive_seed(seed, "kmeans_run_1"), derive_seed(seed, "kmeans_run_2")]
    singles = [cluster_and_join(result.prepared, result.codes, one, s) for s in run_seeds]
    assert record["modules_per_run"] == [s.modules.n_modules for s in singles]
    union = pd.concat([s.modules.edges for s in singles])
    # each run's modules grow from their cores (the join's modules before refinement)
    for single in singles:
        groups = single.modules.groups()
        assert single.cores is not None and set(single.cores) == set(groups)
        assert all(set(core[0]) <= set(groups[m][0]) and set(core[1]) <= set(groups[m][1])
                   for m, core in single.cores.items())
    expected = consensus_modules([s.modules for s in singles], union, cores=[s.cores for s in singles])
    pd.testing.assert_frame_equal(result.modules.members, expected.members)
    pd.testing.assert_frame_equal(result.modules.edges, expected.edges)
    # clusters are the first run's, which a single-run MICA with the same seed also gives
    single_run = identify_modules(*args, config=one)
    pd.testing.assert_series_equal(result.clusterings["mrna"].labels, single_run.clusterings["mrna"].labels)
    pd.testing.assert_frame_equal(single_run.modules.members, singles[0].modules.members)
    assert single_run.manifest["kmeans_consensus"]["runs"] == 1
    with pytest.raises(InputDataError, match="kmeans_runs"):
        identify_modules(*args, config=replace(fast_config, kmeans_runs=0))


def test_join_clusters_is_the_join_of_a_single_kmeans_run(small_cohort, fast_config):
    from dataclasses import replace

    from mirmodules.methods.mica.pipeline import join_clusters

    args = (small_cohort.mirna, small_cohort.mrna, small_cohort.interactions)
    config = replace(fast_config, kmeans_runs=1, seed=3)
    result = identify_modules(*args, config=config)
    mirna_labels, mrna_labels = (result.clusterings[kind].labels for kind in ("mirna", "mrna"))
    joined = join_clusters(result.prepared, mirna_labels, mrna_labels, config)
    assert result.modules.n_modules > 0
    pd.testing.assert_frame_equal(result.modules.members, joined.modules.members)
    pd.testing.assert_frame_equal(result.modules.edges, joined.modules.edges)
    # the labels given are the ones joined: one mRNA cluster for all gives other modules
    lumped = join_clusters(result.prepared, mirna_labels, mrna_labels * 0, config)
    assert not lumped.modules.members.equals(joined.modules.members)


def test_coassociation_clusters_once_from_many_kmeans_runs(small_cohort, fast_config):
    from dataclasses import replace

    from mirmodules.methods.join import join_modules
    from mirmodules.methods.mica.clustering import coassociation_labels

    args = (small_cohort.mirna, small_cohort.mrna, small_cohort.interactions)
    config = replace(fast_config, kmeans_consensus="coassociation", coassociation_runs=15, kmeans_runs=3,
                     seed=4)
    result = identify_modules(*args, config=config)
    record = result.manifest["kmeans_consensus"]
    assert record["runs"] == 15 and record["modules_per_run"] == [result.modules.n_modules]
    assert "co-association" in record["rule"]
    # oracle: the co-association labels of the run's own codes at its K, joined once
    mrna = result.clusterings["mrna"]
    labels = coassociation_labels(result.codes["mrna"], mrna.selection.k, runs=15,
                                  random_state=result.manifest["seeds"]["coassociation_mrna"])
    pd.testing.assert_series_equal(mrna.labels, labels)
    expected = join_modules(result.clusterings["mirna"].labels, labels, result.prepared.interactions,
                            combine=config.combine, repression=config.repression,
                            repression_alpha=config.repression_alpha, mirna_profiles=result.prepared.mirna,
                            mrna_profiles=result.prepared.mrna, refine=config.refine,
                            refine_fraction=config.refine_fraction, refine_alpha=config.refine_alpha).modules
    pd.testing.assert_frame_equal(result.modules.members, expected.members)
    # the same seed gives the same modules
    again = identify_modules(*args, config=config)
    pd.testing.assert_frame_equal(result.modules.members, again.modules.members)
    with pytest.raises(InputDataError, match="kmeans_consensus"):
        identify_modules(*args, config=replace(config, kmeans_consensus="pairs"))


def test_kmeans_runs_by_preset_and_restarts_spread_over_them():
    from mirmodules.methods.mica.pipeline import resolved_n_init

    assert MicaConfig().kmeans_runs is None                       # by size: many on small data
    assert MicaConfig().resolved_kmeans_runs(2500) == 10 and MicaConfig().resolved_kmeans_runs(2501) == 3
    assert MicaConfig.paper().kmeans_runs == 1
    # auto restarts: 10 per run on small data; above 5,000 features 3 in all, 1 in each of 3 runs
    assert resolved_n_init(MicaConfig(), 2000) == 10
    assert resolved_n_init(MicaConfig(), 17000) == 1
    assert resolved_n_init(MicaConfig(kmeans_runs=1), 17000) == 3
    assert resolved_n_init(MicaConfig(kmeans_runs=2), 17000) == 2
    assert resolved_n_init(MicaConfig(n_init=7), 17000) == 7
    assert resolved_n_init(MicaConfig.paper(), 17000) == 10


def test_long_cohorts_are_encoded_from_a_seeded_sample_subset(small_cohort, fast_config):
    from dataclasses import replace

    from mirmodules._threads import thread_limits
    from mirmodules.methods.mica.pipeline import autoencoder_for, cluster_and_join, encoder_sample_positions

    args = (small_cohort.mirna, small_cohort.mrna, small_cohort.interactions)
    config = replace(fast_config, max_encoder_samples=24, seed=4)
    result = identify_modules(*args, config=config)
    samples = result.manifest["samples"]
    assert samples["n"] == 40 and samples["encoded"]["n"] == 24
    ids = samples["encoded"]["ids"]
    # 24 distinct samples kept in the cohort's order
    assert len(set(ids)) == 24 and ids == [s for s in samples["order"] if s in set(ids)]
    seed = result.manifest["seeds"]["encoder_samples"]
    positions = encoder_sample_positions(config, 40, seed)
    assert [samples["order"][i] for i in positions] == ids
    # oracle: the autoencoder trained on those columns alone gives the run's codes ...
    embedder = autoencoder_for(config, 24, random_state=result.manifest["seeds"]["autoencoder_mrna"])
    with thread_limits(config.threads):  # the run's threads: the same sums in the same order
        codes = embedder.fit_transform(result.prepared.mrna.to_numpy()[:, positions])
    assert codes.shape[1] == config.resolved_code_length(24) == 6  # not 40 // 4
    np.testing.assert_allclose(result.codes["mrna"].to_numpy(), codes)
    # ... and the later stages (repression test, refinement) run on all 40 samples: the run's
    # modules are those of stages 2-3 on the codes and the whole prepared inputs
    joined = cluster_and_join(result.prepared, result.codes, config, config.seed)
    pd.testing.assert_frame_equal(result.modules.members, joined.modules.members)
    # same seed, same subset; another seed, another subset; a limit above the cohort: every sample
    again = identify_modules(*args, config=config)
    assert again.manifest["samples"]["encoded"]["ids"] == ids
    assert not np.array_equal(encoder_sample_positions(config, 40, seed + 1), positions)
    whole = identify_modules(*args, config=replace(config, max_encoder_samples=40))
    assert whole.manifest["samples"]["encoded"] == {"n": 40, "rule": "every sample", "ids": None}
    assert "encoder_samples" not in whole.manifest["seeds"]
    assert MicaConfig(max_encoder_samples=0).resolved_encoder_samples(9000) == 9000
    assert (MicaConfig().max_encoder_samples, MicaConfig.paper().max_encoder_samples) == (2000, None)
    with pytest.raises(InputDataError, match="max_encoder_samples"):
        identify_modules(*args, config=replace(config, max_encoder_samples=-1))


@pytest.mark.parametrize(("scores", "warned"), [([1.0, 1.0, 0.5, 0.8], True),  # 2 of 4 below 1
                                                ([1.0, 1.0, 1.0, 0.5], False),  # one is not many
                                                ([1.0] * 6 + [0.5, 0.9], True),  # 2 of 8: a quarter
                                                ([1.0] * 7 + [0.5, 0.9], False),  # 2 of 9: fewer
                                                (None, False)])  # not measured
def test_a_run_warns_when_many_modules_have_low_confidence(caplog, scores, warned):
    import logging

    from mirmodules.config import MicaConfig
    from mirmodules.datatypes import _numbered_module_set
    from mirmodules.methods.mica.pipeline import _warn_low_confidence

    n = len(scores) if scores else 3
    modules = _numbered_module_set([([f"mir{i}a", f"mir{i}b"], [f"g{i}a", f"g{i}b"], [])
                                    for i in range(n)], confidence=scores)
    with caplog.at_level(logging.WARNING, logger="mirmodules.methods.mica.pipeline"):
        _warn_low_confidence(modules, MicaConfig())
    assert ("were not found by every one of the run" in caplog.text) is warned
    if warned:
        low = sum(s < 1 for s in scores)
        assert f"{low} of {n} modules" in caplog.text and "--consensus-seeds 5" in caplog.text
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="mirmodules.methods.mica.pipeline"):
            _warn_low_confidence(modules, MicaConfig(consensus_seeds=5))
        assert "every one of the run's autoencoder seeds" in caplog.text
        assert "--consensus-seeds" not in caplog.text


def test_planted_modules_of_the_defaults_raise_no_confidence_warning(small_cohort, caplog):
    import logging

    from mirmodules.config import MicaConfig

    with caplog.at_level(logging.WARNING, logger="mirmodules.methods.mica.pipeline"):
        result = identify_modules(small_cohort.mirna, small_cohort.mrna, small_cohort.interactions,
                                  config=MicaConfig(seed=1, threads=1, max_steps=60))
    assert result.modules.confidence is not None
    assert "internal rerun" not in caplog.text
