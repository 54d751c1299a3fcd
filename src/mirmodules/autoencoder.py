"""Stage 1: the 1-D convolutional autoencoder of MICA (paper section 2.2, Figure 2).

Each feature's profile over the n samples is a 1-D signal with one channel. The architecture is
fixed by METHOD.md:

* encoder: Conv1d(1 -> 16, kernel 4, 'same') + ReLU + MaxPool(4); Conv1d(16 -> 16, kernel 2,
  'same') + ReLU + MaxPool(2); flatten; Dropout(0.3); Linear -> code of length n // 4;
* decoder: the mirror image: Linear + ReLU -> reshape to 16 x (n // 8) -> nearest upsampling to
  n // 4 -> Conv1d(16 -> 16, kernel 2, 'same') + ReLU -> nearest upsampling to n -> Conv1d(16 -> 1,
  kernel 4, 'same'). Upsampling to the exact lengths of the encoder's stages is how lengths that
  are not multiples of 8 are handled (pooling floors, upsampling restores the exact size).

'same' padding with an even kernel pads (k - 1) // 2 on the left and the rest on the right, as
PyTorch does. Training: MSE loss, Adam (lr 1e-3), shuffled mini-batches, early stopping on a
held-out 10% of the features with the best weights restored, everything seeded. torch is imported
only when this module is used.
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._validation import check_in_range, check_one_of
from .exceptions import InputDataError, NotFittedError

logger = logging.getLogger(__name__)

Device = Literal["cpu", "cuda", "auto"]

MIN_SAMPLES = 16


def _same_padding(kernel: int) -> tuple[int, int]:
    left = (kernel - 1) // 2
    return left, kernel - 1 - left


def build_model(
    n_samples: int,
    *,
    code_length: int | None = None,
    channels: int = 16,
    kernels: tuple[int, int] = (4, 2),
    pools: tuple[int, int] = (4, 2),
    dropout: float = 0.3,
) -> Any:
    """Return the (untrained) autoencoder as a ``torch.nn.Module``.

    Its ``encode(x)`` maps a (batch, n_samples) tensor to (batch, code_length) codes and
    ``forward(x)`` reconstructs (batch, n_samples).
    """
    import torch
    from torch import nn
    from torch.nn import functional as F

    if n_samples < MIN_SAMPLES:
        msg = (
            f"The autoencoder needs at least {MIN_SAMPLES} samples for its two pooling layers "
            f"(4 x 2); got n_samples={n_samples}. Use more samples, or an embedding without the "
            "autoencoder (a baseline such as K-means on the scaled profiles)."
        )
        raise InputDataError(msg)
    code_length = code_length or n_samples // 4
    len1 = n_samples // pools[0]
    len2 = len1 // pools[1]
    pad1, pad2 = _same_padding(kernels[0]), _same_padding(kernels[1])

    class ConvAutoencoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc_conv1 = nn.Conv1d(1, channels, kernels[0])
            self.enc_conv2 = nn.Conv1d(channels, channels, kernels[1])
            self.dropout = nn.Dropout(dropout)
            self.enc_fc = nn.Linear(channels * len2, code_length)
            self.dec_fc = nn.Linear(code_length, channels * len2)
            self.dec_conv1 = nn.Conv1d(channels, channels, kernels[1])
            self.dec_conv2 = nn.Conv1d(channels, 1, kernels[0])

        def encode(self, x: torch.Tensor) -> torch.Tensor:
            h = F.pad(x.unsqueeze(1), pad1)
            h = F.max_pool1d(F.relu(self.enc_conv1(h)), pools[0])
            h = F.max_pool1d(F.relu(self.enc_conv2(F.pad(h, pad2))), pools[1])
            return self.enc_fc(self.dropout(h.flatten(1)))

        def decode(self, z: torch.Tensor) -> torch.Tensor:
            h = F.relu(self.dec_fc(z)).view(-1, channels, len2)
            h = F.interpolate(h, size=len1, mode="nearest")
            h = F.relu(self.dec_conv1(F.pad(h, pad2)))
            h = F.interpolate(h, size=n_samples, mode="nearest")
            return self.dec_conv2(F.pad(h, pad1)).squeeze(1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.decode(self.encode(x))

    return ConvAutoencoder()


def resolve_device(device: Device) -> str:
    """Map ``auto`` to ``cuda`` when a GPU is present, else ``cpu``; reject an absent GPU."""
    import torch

    check_one_of(device, "device", ["cpu", "cuda", "auto"])
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        msg = (
            "device='cuda' was asked for but torch sees no GPU (torch.cuda.is_available() is "
            "False; this torch build: " + torch.__version__ + "). Use device='cpu' or 'auto'."
        )
        raise InputDataError(msg)
    return device


class ConvAutoencoderEmbedder:
    """Learn compact codes of expression profiles with the MICA autoencoder.

    Follows the scikit-learn estimator contract: ``__init__`` only stores settings, ``fit`` learns
    and returns ``self``, learned attributes end in ``_``.

    Parameters
    ----------
    code_length
        Length of the code; ``None`` means n_samples // 4 (the paper: 424 samples -> 106).
    dropout
        Dropout rate before the encoder's fully connected layer (paper: 0.3).
    learning_rate
        Adam learning rate.
    batch_size
        Profiles per mini-batch.
    max_epochs
        Upper bound on training epochs.
    patience
        Stop after this many epochs without a validation-loss improvement; the weights of the best
        epoch are kept.
    tol
        Smallest *relative* validation-loss decrease that counts as an improvement
        (``val < best * (1 - tol)``).
    validation_fraction
        Share of the features held out for early stopping (at least one feature).
    device
        ``"cpu"`` (default), ``"cuda"`` or ``"auto"``.
    random_state
        Seed for weight initialisation, dropout, the held-out split and batch order.
    progress
        Show a tqdm progress bar over epochs.

    Attributes
    ----------
    model_ : torch.nn.Module
        The trained network (best validation epoch), in eval mode.
    history_ : pandas.DataFrame
        Columns ``epoch``, ``train_loss``, ``val_loss``, ``seconds``.
    best_epoch_ : int
    n_epochs_ : int
    device_ : str
    """

    def __init__(
        self,
        *,
        code_length: int | None = None,
        dropout: float = 0.3,
        learning_rate: float = 1e-3,
        batch_size: int = 64,
        max_epochs: int = 100,
        patience: int = 5,
        tol: float = 1e-3,
        validation_fraction: float = 0.1,
        device: Device = "cpu",
        random_state: int = 0,
        progress: bool = False,
        progress_label: str = "autoencoder",
    ) -> None:
        self.code_length = code_length
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.tol = tol
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.progress = progress
        self.progress_label = progress_label

    def _validate(self) -> None:
        if self.code_length is not None:
            check_in_range(self.code_length, "code_length", low=1, integer=True)
        check_in_range(self.dropout, "dropout", low=0.0, high=1.0, high_inclusive=False)
        check_in_range(self.learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        check_in_range(self.batch_size, "batch_size", low=1, integer=True)
        check_in_range(self.max_epochs, "max_epochs", low=1, integer=True)
        check_in_range(self.patience, "patience", low=1, integer=True)
        check_in_range(self.tol, "tol", low=0.0)
        check_in_range(self.validation_fraction, "validation_fraction", low=0.0, high=0.5,
                       low_inclusive=False)
        check_in_range(self.random_state, "random_state", low=0, integer=True)

    def fit(self, profiles: np.ndarray) -> ConvAutoencoderEmbedder:
        """Train on ``profiles`` (n_features x n_samples, already scaled)."""
        import torch
        from tqdm.auto import tqdm

        self._validate()
        x_all = np.ascontiguousarray(profiles, dtype=np.float32)
        if x_all.ndim != 2 or x_all.shape[0] < 2:
            msg = f"profiles must be a 2-D array with at least 2 features; got shape {x_all.shape}."
            raise InputDataError(msg)
        if not np.isfinite(x_all).all():
            msg = "profiles contain NaN or infinite values; impute and scale them first."
            raise InputDataError(msg)
        n_features, n_samples = x_all.shape
        device = resolve_device(self.device)
        rng = np.random.default_rng(self.random_state)
        n_val = max(1, round(self.validation_fraction * n_features))
        order = rng.permutation(n_features)
        val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
        x_train = torch.from_numpy(x_all[train_idx]).to(device)
        x_val = torch.from_numpy(x_all[val_idx]).to(device)
        fork_devices = [torch.device(device).index or 0] if device == "cuda" else []
        history: list[dict[str, float]] = []
        with torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(self.random_state)
            model = build_model(n_samples, code_length=self.code_length, dropout=self.dropout)
            model = model.to(device)
            optimiser = torch.optim.Adam(model.parameters(), lr=self.learning_rate)
            batch_gen = torch.Generator().manual_seed(self.random_state)
            best_loss, best_epoch, best_state, waited = float("inf"), 0, None, 0
            bar = tqdm(range(1, self.max_epochs + 1), desc=self.progress_label, unit="epoch",
                       disable=None if self.progress else True, leave=False)
            for epoch in bar:
                start = time.perf_counter()
                model.train()
                perm = torch.randperm(len(train_idx), generator=batch_gen).to(device)
                total = 0.0
                for lo in range(0, len(train_idx), self.batch_size):
                    batch = x_train[perm[lo:lo + self.batch_size]]
                    optimiser.zero_grad(set_to_none=True)
                    loss = torch.nn.functional.mse_loss(model(batch), batch)
                    loss.backward()
                    optimiser.step()
                    total += float(loss.detach()) * len(batch)
                train_loss = total / max(1, len(train_idx))
                val_loss = self._loss(model, x_val)
                history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
                                "seconds": time.perf_counter() - start})
                bar.set_postfix(train=f"{train_loss:.4f}", val=f"{val_loss:.4f}")
                if val_loss < best_loss * (1.0 - self.tol):
                    best_loss, best_epoch, waited = val_loss, epoch, 0
                    best_state = copy.deepcopy(model.state_dict())
                else:
                    waited += 1
                    if waited >= self.patience:
                        break
            bar.close()
        assert best_state is not None  # at least one epoch ran
        model.load_state_dict(best_state)
        model.eval()
        self.model_ = model
        self.history_ = pd.DataFrame(history, columns=["epoch", "train_loss", "val_loss", "seconds"])
        self.best_epoch_ = best_epoch
        self.n_epochs_ = len(history)
        self.device_ = device
        self.n_samples_ = n_samples
        logger.info(
            "%s: %d epochs (best %d, val MSE %.4f) on %d features x %d samples, device %s",
            self.progress_label, self.n_epochs_, best_epoch, best_loss, n_features, n_samples, device,
        )
        return self

    @staticmethod
    def _loss(model: Any, x: Any, batch: int = 4096) -> float:
        import torch

        model.eval()
        total = 0.0
        with torch.no_grad():
            for lo in range(0, len(x), batch):
                part = x[lo:lo + batch]
                total += float(torch.nn.functional.mse_loss(model(part), part)) * len(part)
        return total / len(x)

    def transform(self, profiles: np.ndarray) -> np.ndarray:
        """Return the codes (n_features x code_length) of ``profiles``."""
        import torch

        if not hasattr(self, "model_"):
            msg = "This ConvAutoencoderEmbedder is not fitted yet; call fit first."
            raise NotFittedError(msg)
        x = np.ascontiguousarray(profiles, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.n_samples_:
            msg = f"profiles must have {self.n_samples_} columns (samples); got shape {x.shape}."
            raise InputDataError(msg)
        out = []
        with torch.no_grad():
            for lo in range(0, len(x), 4096):
                part = torch.from_numpy(x[lo:lo + 4096]).to(self.device_)
                out.append(self.model_.encode(part).cpu().numpy())
        return np.vstack(out).astype(np.float64)

    def fit_transform(self, profiles: np.ndarray) -> np.ndarray:
        """Fit, then return the codes of ``profiles``."""
        return self.fit(profiles).transform(profiles)
