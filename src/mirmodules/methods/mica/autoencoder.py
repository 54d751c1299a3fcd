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
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from mirmodules._validation import check_in_range, check_one_of
from mirmodules.exceptions import InputDataError, NotFittedError

logger = logging.getLogger(__name__)

Device = Literal["cpu", "cuda", "auto"]

MIN_SAMPLES = 16


#: Held-out profiles scored at each step-based validation check (``eval_every``): the checks are
#: frequent, and at 17,000 features a check on all 1,700 held-out profiles cost 0.6 s (7 s a run)
#: for a loss whose noise is already small at 512.
VALIDATION_CHECK_CAP = 512

#: Relative fall of the validation loss over the last ``patience`` checks above which a run that
#: ends on its step or epoch budget is warned about (the loss was still improving).
STILL_IMPROVING = 0.02


def _pair(values: Sequence[int]) -> tuple[int, int]:
    """Two integers as a tuple (lists come from JSON and the command line)."""
    first, second = values
    return int(first), int(second)


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

    for name, pair in (("kernels", kernels), ("pools", pools)):
        if len(pair) != 2 or any(int(v) != v or v < 1 for v in pair):
            msg = f"{name} must be two positive integers; got {pair!r}."
            raise InputDataError(msg)
    check_in_range(channels, "channels", low=1, integer=True)
    min_samples = max(MIN_SAMPLES, 2 * pools[0] * pools[1])
    if n_samples < min_samples:
        msg = (
            f"The autoencoder needs at least {min_samples} samples for its two pooling layers "
            f"({pools[0]} x {pools[1]}); got n_samples={n_samples}. Use more samples, or an "
            "embedding without the autoencoder (a baseline such as K-means on the scaled profiles)."
        )
        raise InputDataError(msg)
    code_len: int = code_length or n_samples // 4
    len1 = n_samples // pools[0]
    len2 = len1 // pools[1]
    pad1, pad2 = _same_padding(kernels[0]), _same_padding(kernels[1])

    class ConvAutoencoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc_conv1 = nn.Conv1d(1, channels, kernels[0])
            self.enc_conv2 = nn.Conv1d(channels, channels, kernels[1])
            self.dropout = nn.Dropout(dropout)
            self.enc_fc = nn.Linear(channels * len2, code_len)
            self.dec_fc = nn.Linear(code_len, channels * len2)
            self.dec_conv1 = nn.Conv1d(channels, channels, kernels[1])
            self.dec_conv2 = nn.Conv1d(channels, 1, kernels[0])

        def encode(self, x: torch.Tensor) -> torch.Tensor:
            h = F.pad(x.unsqueeze(1), pad1)
            h = F.relu(self.enc_conv1(h))
            if pools[0] > 1:
                h = F.max_pool1d(h, pools[0])
            h = F.relu(self.enc_conv2(F.pad(h, pad2)))
            if pools[1] > 1:
                h = F.max_pool1d(h, pools[1])
            return self.enc_fc(self.dropout(h.flatten(1)))

        def decode(self, z: torch.Tensor) -> torch.Tensor:
            h = F.relu(self.dec_fc(z)).view(-1, channels, len2)
            if pools[1] > 1:
                h = F.interpolate(h, size=len1, mode="nearest")
            h = F.relu(self.dec_conv1(F.pad(h, pad2)))
            if pools[0] > 1:
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
        Upper bound on training epochs (full passes over the training profiles).
    max_steps
        Upper bound on optimiser steps (mini-batches); ``None``: no bound beyond ``max_epochs``.
        A budget in steps treats a modality of 100 profiles (2 batches an epoch) and one of 17,000
        (266 batches) alike.
    eval_every
        Check the validation loss every this many steps; ``None``: once per epoch (the paper's
        protocol). With ``None``, ``patience`` counts epochs, else validation checks.
    patience
        Stop after this many validation checks without an improvement; the weights of the best
        check are kept.
    tol
        Smallest *relative* validation-loss decrease that counts as an improvement
        (``val < best * (1 - tol)``).
    validation_fraction
        Share of the features held out for early stopping (at least one feature). With
        ``eval_every``, each check scores at most :data:`VALIDATION_CHECK_CAP` of them.
    channels, kernels, pools
        Convolution channels, the two kernel sizes and the two max-pooling widths (paper: 16,
        (4, 2), (4, 2); ``pools=(1, 1)`` disables pooling).
    device
        ``"cpu"`` (default), ``"cuda"`` or ``"auto"``.
    random_state
        Seed for weight initialisation, dropout, the held-out split and batch order.
    progress
        Show progress over training steps (a bar in a terminal, INFO lines elsewhere).

    Attributes
    ----------
    model_ : torch.nn.Module
        The trained network (best validation epoch), in eval mode.
    history_ : pandas.DataFrame
        One row per validation check: ``epoch``, ``step``, ``train_loss`` (mean over the steps
        since the previous check), ``val_loss``, ``seconds``.
    best_epoch_ : int
        Epoch of the best validation check (the weights kept).
    n_epochs_ : int
        Epochs started.
    n_steps_ : int
        Optimiser steps taken.
    stop_reason_ : str
        ``"early_stopping"``, ``"max_epochs"`` or ``"max_steps"``.
    converged_ : bool
        ``True`` when early stopping fired (the validation loss stopped improving).
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
        max_steps: int | None = None,
        eval_every: int | None = None,
        patience: int = 5,
        tol: float = 1e-3,
        validation_fraction: float = 0.1,
        channels: int = 16,
        kernels: tuple[int, int] = (4, 2),
        pools: tuple[int, int] = (4, 2),
        device: Device = "cpu",
        random_state: int = 0,
        progress: bool = False,
        progress_label: str = "autoencoder",
    ) -> None:
        self.max_steps = max_steps
        self.eval_every = eval_every
        self.channels = channels
        self.kernels = kernels
        self.pools = pools
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
        if self.max_steps is not None:
            check_in_range(self.max_steps, "max_steps", low=1, integer=True)
        if self.eval_every is not None:
            check_in_range(self.eval_every, "eval_every", low=1, integer=True)
        check_in_range(self.patience, "patience", low=1, integer=True)
        check_in_range(self.tol, "tol", low=0.0)
        check_in_range(self.validation_fraction, "validation_fraction", low=0.0, high=0.5,
                       low_inclusive=False)
        check_in_range(self.random_state, "random_state", low=0, integer=True)

    def fit(self, profiles: np.ndarray) -> ConvAutoencoderEmbedder:
        """Train on ``profiles`` (n_features x n_samples, already scaled)."""
        import torch

        from mirmodules._progress import Progress

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
        # batches are gathered from the whole matrix through the training rows' positions, not
        # from a copy of the training rows (0.65 GB at the pan-cancer shape)
        x_device = torch.from_numpy(x_all).to(device)
        train_rows = torch.from_numpy(train_idx).to(device)
        if self.eval_every is not None:  # frequent checks: on at most VALIDATION_CHECK_CAP profiles
            val_idx = np.sort(order[:min(n_val, VALIDATION_CHECK_CAP)])
        x_val = torch.from_numpy(x_all[val_idx]).to(device)
        fork_devices = [torch.device(device).index or 0] if device == "cuda" else []
        history: list[dict[str, float]] = []
        with torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(self.random_state)
            model = build_model(n_samples, code_length=self.code_length, dropout=self.dropout,
                                channels=self.channels, kernels=_pair(self.kernels),
                                pools=_pair(self.pools))
            model = model.to(device)
            # step-based training (the default preset) uses torch's fused Adam, 15% faster per
            # step on CPU; epoch-based training keeps the unfused one, so that the paper preset
            # gives the numbers of mirmodules 0.1
            fused = self.max_steps is not None and device == "cpu"
            optimiser = (torch.optim.Adam(model.parameters(), lr=self.learning_rate, fused=True)
                         if fused else torch.optim.Adam(model.parameters(), lr=self.learning_rate))
            batch_gen = torch.Generator().manual_seed(self.random_state)
            best_loss, best_epoch, best_state, waited = float("inf"), 0, None, 0
            step, epoch, stop_reason = 0, 0, "max_epochs"
            total, seen, check_start = 0.0, 0, time.perf_counter()
            steps_per_epoch = -(-len(train_idx) // self.batch_size)
            budget = min(self.max_steps or 10**12, self.max_epochs * steps_per_epoch)
            bar = Progress(self.progress_label, budget, "steps (at most)", enabled=self.progress,
                           logger=logger)
            stop = False
            while not stop and epoch < self.max_epochs:
                epoch += 1
                model.train()
                perm = torch.randperm(len(train_idx), generator=batch_gen).to(device)
                for lo in range(0, len(train_idx), self.batch_size):
                    batch = x_device[train_rows[perm[lo:lo + self.batch_size]]]
                    optimiser.zero_grad(set_to_none=True)
                    loss = torch.nn.functional.mse_loss(model(batch), batch)
                    loss.backward()
                    optimiser.step()
                    step += 1
                    total += float(loss.detach()) * len(batch)
                    seen += len(batch)
                    bar.update(1)
                    last_in_epoch = lo + self.batch_size >= len(train_idx)
                    check = last_in_epoch if self.eval_every is None else step % self.eval_every == 0
                    out_of_steps = self.max_steps is not None and step >= self.max_steps
                    out_of_epochs = last_in_epoch and epoch == self.max_epochs
                    if not (check or out_of_steps or out_of_epochs):
                        continue
                    val_loss = self._loss(model, x_val)
                    model.train()
                    history.append({"epoch": epoch, "step": step, "train_loss": total / max(1, seen),
                                    "val_loss": val_loss, "seconds": time.perf_counter() - check_start})
                    total, seen, check_start = 0.0, 0, time.perf_counter()
                    bar.update(0, train=history[-1]["train_loss"], val=val_loss)
                    if val_loss < best_loss * (1.0 - self.tol):
                        best_loss, best_epoch, waited = val_loss, epoch, 0
                        best_state = copy.deepcopy(model.state_dict())
                    else:
                        waited += 1
                        if waited >= self.patience:
                            stop, stop_reason = True, "early_stopping"
                            break
                    if out_of_steps:
                        stop, stop_reason = True, "max_steps"
                        break
            bar.close()
        assert best_state is not None  # at least one epoch ran
        model.load_state_dict(best_state)
        model.eval()
        self.model_ = model
        self.history_ = pd.DataFrame(
            history, columns=["epoch", "step", "train_loss", "val_loss", "seconds"])
        self.best_epoch_ = best_epoch
        self.n_epochs_ = epoch
        self.n_steps_ = step
        self.stop_reason_ = stop_reason
        self.converged_ = stop_reason == "early_stopping"
        self.device_ = device
        self.n_samples_ = n_samples
        logger.info(
            "%s: %d epochs, %d steps (best epoch %d, val MSE %.4f, stopped by %s) on %d features x "
            "%d samples, device %s", self.progress_label, self.n_epochs_, step, best_epoch, best_loss,
            stop_reason, n_features, n_samples, device,
        )
        if not self.converged_:
            # a budget that ends on a flat validation curve is the design (step budget), not a
            # problem; warn only when the loss still fell by > 2% over the last `patience` checks
            recent = [h["val_loss"] for h in history[-(self.patience + 1):]]
            drop = (recent[0] - min(recent)) / recent[0] if len(recent) > 1 and recent[0] > 0 else 0.0
            log = logger.warning if drop > STILL_IMPROVING else logger.info
            log("%s: training stopped by %s before early stopping fired (validation loss: last "
                "%.4f, best %.4f, %.1f%% lower than %d checks before)%s", self.progress_label,
                stop_reason, history[-1]["val_loss"], best_loss, 100 * drop, len(recent) - 1,
                "; if modules change with the seed, raise the budget (--max-steps, --max-epochs)"
                if drop > STILL_IMPROVING else "")
        return self

    def _chunk_rows(self, n_samples: int) -> int:
        """Rows per no-grad pass: the first convolution's output (rows x channels x samples floats)
        stays at 2**26 floats (256 MiB), i.e. 4,096 rows up to 1,024 samples and fewer beyond
        (466 at 9,000 samples, where 4,096 rows took 2.4 GB per activation)."""
        return int(min(4096, max(1, 2**26 // (self.channels * n_samples))))

    def _loss(self, model: Any, x: Any) -> float:
        import torch

        batch = self._chunk_rows(x.shape[1])
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
        rows = self._chunk_rows(self.n_samples_)
        with torch.no_grad():
            for lo in range(0, len(x), rows):
                part = torch.from_numpy(x[lo:lo + rows]).to(self.device_)
                out.append(self.model_.encode(part).cpu().numpy())
        return np.vstack(out).astype(np.float64)

    def fit_transform(self, profiles: np.ndarray) -> np.ndarray:
        """Fit, then return the codes of ``profiles``."""
        return self.fit(profiles).transform(profiles)
