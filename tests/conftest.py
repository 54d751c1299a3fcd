"""Shared fixtures: small simulated cohorts, fast settings, the shared real-data folder."""

from __future__ import annotations

import pytest

from mirmodules import MicaConfig, simulate_cohort


@pytest.fixture(scope="session")
def small_cohort():
    """40 samples, 30 miRNAs, 240 mRNAs, 3 planted modules, no false positives."""
    return simulate_cohort(n_samples=40, n_mirnas=30, n_mrnas=240, n_modules=3,
                           mirnas_per_module=(3, 5), mrnas_per_module=(12, 20),
                           false_positive_rate=0.0, missing_rate=0.0, seed=3)


@pytest.fixture
def fast_config() -> MicaConfig:
    """Settings that keep the autoencoder to a few epochs."""
    return MicaConfig(max_epochs=4, patience=2, k_max=10, n_init=3, batch_size=32)
