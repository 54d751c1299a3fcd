"""The autoencoder on long profiles: pooling widths against recovery and training time.

A negbin cohort with many samples (default 9,000 samples, 4,000 mRNAs, 700 miRNAs, 15 planted
modules, 20% false and 30% missing interactions) is simulated and prepared once; then, for each
variant, the mRNA autoencoder of a default MICA run is trained with the given pooling widths and
its codes are clustered and joined with the defaults, with and without refinement. ``pca``
clusters PCA components instead (as many as the code: 256 above 1,027 samples; the
``kmeans_pca`` ablation's features). Training time includes encoding every profile.

    python benchmarks/long_profiles.py --n-samples 9000 --variants pca 1x1 9x1 3x3
    python benchmarks/long_profiles.py --n-samples 2000 --variants pca 1x1 2x1 2x2 --ae-seeds 1 2 3

The autoencoder's cost per step depends on the samples only, so a smaller mRNA count is cheaper
to test, but not equivalent: with 4,000 mRNAs pooling kept or raised recovery, with 17,000-20,000 it
lowered it (the whole shapes: ``bench_tcga_scale.py --scaling -- --max-pooled-length 1024``).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import pandas as pd

from mirmodules import MicaConfig, recovery_scores, simulate_cohort
from mirmodules.inputs.prepared import prepare_inputs
from mirmodules.methods.mica.pipeline import autoencoder_for, cluster_and_join


def features_of(variant: str, prepared, ae_seed: int) -> tuple[pd.DataFrame, str]:
    """mRNA features of one variant (``pca`` or pooling widths ``AxB``) and a note on training."""
    profiles = prepared.mrna.to_numpy()
    if variant == "pca":
        from sklearn.decomposition import PCA

        # as many components as the autoencoder's code (256 above 1,027 samples), as kmeans_pca
        n_components = min(MicaConfig().resolved_code_length(profiles.shape[1]), *profiles.shape)
        pca = PCA(n_components=n_components, random_state=0, svd_solver="randomized")
        return pd.DataFrame(pca.fit_transform(profiles), index=prepared.mrna.index), ""
    first, second = (int(width) for width in variant.split("x"))
    config = MicaConfig(pools=(first, second))
    embedder = autoencoder_for(config, profiles.shape[1], random_state=ae_seed)
    codes = embedder.fit_transform(profiles)
    note = (f"steps {embedder.n_steps_} ({embedder.stop_reason_}), best validation loss "
            f"{embedder.history_['val_loss'].min():.3f}")
    return pd.DataFrame(codes, index=prepared.mrna.index), note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-samples", type=int, default=9000)
    parser.add_argument("--n-mrnas", type=int, default=4000)
    parser.add_argument("--n-mirnas", type=int, default=700)
    parser.add_argument("--cohort-seed", type=int, default=0)
    parser.add_argument("--variants", nargs="+", default=["pca", "1x1", "3x3"],
                        help="pca, or pooling widths FIRSTxSECOND (1x1 = no pooling)")
    parser.add_argument("--ae-seeds", type=int, nargs="+", default=[1], help="autoencoder seeds")
    args = parser.parse_args()

    start = time.perf_counter()
    cohort = simulate_cohort(n_samples=args.n_samples, n_mirnas=args.n_mirnas, n_mrnas=args.n_mrnas,
                             n_modules=15, mirnas_per_module=(3, 8), mrnas_per_module=(20, 80),
                             false_positive_rate=0.2, seed=args.cohort_seed, noise_model="negbin",
                             missing_rate=0.3)
    prepared = prepare_inputs(cohort.mirna, cohort.mrna, cohort.interactions, config=MicaConfig())
    print(f"cohort {args.n_samples} samples x {args.n_mrnas} mRNAs x {args.n_mirnas} miRNAs "
          f"simulated and prepared in {time.perf_counter() - start:.0f} s")
    print(f"{'variant':8s} {'AE seed':>7s} {'seconds':>8s} {'no refine':>9s} {'refined':>8s} "
          f"{'modules':>7s}  training")
    for variant in args.variants:
        for ae_seed in args.ae_seeds if variant != "pca" else [0]:
            start = time.perf_counter()
            features, note = features_of(variant, prepared, ae_seed)
            seconds = time.perf_counter() - start
            scores = {}
            for refine in ("none", "centroid"):
                modules = cluster_and_join(prepared, {"mrna": features},
                                           replace(MicaConfig(), refine=refine), 0).modules
                scores[refine] = (recovery_scores(cohort.truth, modules)["recovery"], modules.n_modules)
            print(f"{variant:8s} {ae_seed:7d} {seconds:8.0f} {scores['none'][0]:9.3f} "
                  f"{scores['centroid'][0]:8.3f} {scores['centroid'][1]:7d}  {note}", flush=True)


if __name__ == "__main__":
    main()
