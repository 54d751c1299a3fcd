from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from mirmodules import InputDataError, NotFittedError
from mirmodules.methods.mica.autoencoder import ConvAutoencoderEmbedder, build_model


@pytest.mark.parametrize("n_samples", [16, 50, 100, 424])
def test_shapes_for_lengths_that_are_and_are_not_multiples_of_8(n_samples):
    model = build_model(n_samples)
    x = torch.randn(3, n_samples)
    assert model.encode(x).shape == (3, n_samples // 4)
    assert model(x).shape == (3, n_samples)


def test_paper_dimensions():
    model = build_model(424)
    assert model.enc_conv1.out_channels == 16 and model.enc_conv1.kernel_size == (4,)
    assert model.enc_conv2.kernel_size == (2,)
    assert model.enc_fc.in_features == 16 * 53 and model.enc_fc.out_features == 106
    assert model.dropout.p == 0.3


def test_too_few_samples_is_a_clear_error():
    with pytest.raises(InputDataError, match="at least 16 samples"):
        build_model(12)


@pytest.mark.parametrize("kernel", [2, 4])
def test_explicit_padding_equals_torch_same_padding(kernel):
    from torch.nn import functional as F

    from mirmodules.methods.mica.autoencoder import _same_padding

    conv = nn.Conv1d(3, 5, kernel)
    reference = nn.Conv1d(3, 5, kernel, padding="same")
    reference.load_state_dict(conv.state_dict())
    x = torch.randn(2, 3, 21)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        expected = reference(x)
    torch.testing.assert_close(conv(F.pad(x, _same_padding(kernel))), expected)


def _profiles(n_features=120, n_samples=32, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(4, n_samples))
    x = base[rng.integers(4, size=n_features)] + 0.3 * rng.normal(size=(n_features, n_samples))
    return ((x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)).astype(np.float32)


def test_same_seed_same_codes_and_global_rng_untouched():
    x = _profiles()
    np_state = np.random.get_state()[1].copy()
    torch_state = torch.get_rng_state().clone()
    a = ConvAutoencoderEmbedder(max_epochs=3, random_state=7).fit_transform(x)
    b = ConvAutoencoderEmbedder(max_epochs=3, random_state=7).fit_transform(x)
    c = ConvAutoencoderEmbedder(max_epochs=3, random_state=8).fit_transform(x)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_training_reduces_loss_and_history_is_kept():
    est = ConvAutoencoderEmbedder(max_epochs=30, patience=30, random_state=0, batch_size=16)
    est.fit(_profiles())
    hist = est.history_
    assert list(hist.columns) == ["epoch", "step", "train_loss", "val_loss", "seconds"]
    assert len(hist) == 30 == est.n_epochs_
    assert hist["val_loss"].iloc[-5:].min() < 0.9 * hist["val_loss"].iloc[0]
    assert est.best_epoch_ == int(hist.loc[hist["val_loss"].idxmin(), "epoch"])


def test_early_stopping_stops_before_max_epochs():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(60, 16)).astype(np.float32)   # nothing to learn
    est = ConvAutoencoderEmbedder(max_epochs=500, patience=3, tol=1e-2, random_state=0).fit(noise)
    assert est.n_epochs_ < 500
    assert est.n_epochs_ == est.best_epoch_ + 3


def test_transform_before_fit_and_bad_input():
    with pytest.raises(NotFittedError):
        ConvAutoencoderEmbedder().transform(_profiles())
    with pytest.raises(InputDataError, match="NaN"):
        ConvAutoencoderEmbedder().fit(np.full((10, 20), np.nan))
    with pytest.raises(InputDataError, match="dropout"):
        ConvAutoencoderEmbedder(dropout=1.5).fit(_profiles())


def test_cuda_request_without_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(InputDataError, match="sees no GPU"):
        ConvAutoencoderEmbedder(device="cuda").fit(_profiles())


def test_no_pooling_keeps_every_sample_and_codes_have_the_asked_length():
    model = build_model(50, pools=(1, 1), code_length=7)
    assert model.enc_fc.in_features == 16 * 50
    x = torch.randn(3, 50)
    assert model.encode(x).shape == (3, 7) and model(x).shape == (3, 50)
    with pytest.raises(InputDataError, match="pools must be two positive integers"):
        build_model(50, pools=(0, 2))
    with pytest.raises(InputDataError, match="at least 32 samples"):
        build_model(20, pools=(4, 4))


def test_step_budget_and_validation_every_n_steps():
    x = _profiles(n_features=200)            # 180 training profiles, 6 batches of 32 an epoch
    est = ConvAutoencoderEmbedder(max_epochs=1000, max_steps=40, eval_every=10, patience=100,
                                  batch_size=32, random_state=0, pools=(1, 1)).fit(x)
    assert est.n_steps_ == 40 and est.stop_reason_ == "max_steps" and not est.converged_
    assert est.history_["step"].tolist() == [10, 20, 30, 40]
    assert est.n_epochs_ == 7                # step 40 falls in the 7th epoch


def test_a_budget_that_ends_while_the_loss_still_falls_is_warned_about(caplog):
    x = _profiles(n_features=200)
    with caplog.at_level("INFO", logger="mirmodules.methods.mica.autoencoder"):
        est = ConvAutoencoderEmbedder(max_epochs=1000, max_steps=40, eval_every=10, patience=100,
                                      batch_size=32, random_state=0, pools=(1, 1)).fit(x)
    losses = est.history_["val_loss"].to_numpy()
    falling = (losses[0] - losses.min()) / losses[0] > 0.02
    levels = [r.levelname for r in caplog.records if "before early stopping" in r.getMessage()]
    assert levels == (["WARNING"] if falling else ["INFO"])
    assert falling  # 40 steps from scratch: still learning, so this case must warn


def test_max_epochs_ends_with_a_validation_check_even_between_checks():
    x = _profiles(n_features=100)
    est = ConvAutoencoderEmbedder(max_epochs=2, max_steps=500, eval_every=50, batch_size=32,
                                  random_state=0).fit(x)
    assert est.stop_reason_ == "max_epochs" and len(est.history_) == 1
    assert est.history_["step"].iloc[0] == est.n_steps_ == 6


def test_early_stopping_in_steps_records_its_reason():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(60, 16)).astype(np.float32)
    est = ConvAutoencoderEmbedder(max_epochs=10_000, max_steps=5000, eval_every=5, patience=3,
                                  tol=1e-2, random_state=0).fit(noise)
    assert est.stop_reason_ == "early_stopping" and est.converged_
    assert est.n_steps_ < 5000
