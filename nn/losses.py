"""Loss functions as modules (PyTorch's names and arguments), over nn.functional."""

from __future__ import annotations

from typing import Any

import numpy as np

import autodiff
from autodiff import Tensor
from nn import arguments
from nn import functional as F
from nn.module import Module


class _Loss(Module):
    """A loss with a `reduction`: 'mean' (default), 'sum' or 'none' (per element)."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error, (input - target)².

    >>> nn.MSELoss()(Tensor([1.0, 3.0]), Tensor([1.0, 1.0]))
    Tensor(2.)
    """

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class NLLLoss(_Loss):
    """Negative log-likelihood of class indices, for log-probabilities (e.g. LogSoftmax's);
    optional per-class weight (C,), and targets equal to ignore_index count for nothing.

    >>> log_probs = nn.LogSoftmax(dim=1)(Tensor([[2.0, 0.0], [0.0, 2.0]]))
    >>> nn.NLLLoss()(log_probs, np.array([0, 1]))  # ≈ 0.127
    """

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        ignore_index: int = -100,
        reduce: Any = None,
        reduction: str = "mean",
    ):
        super().__init__(F._legacy_reduction("NLLLoss", size_average, reduce, reduction))
        self.weight = _weights("NLLLoss", "weight", weight, per_class=True)
        self.ignore_index = ignore_index

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits, against class indices or class probabilities.

    >>> loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    >>> loss = loss_fn(model(x), y)  # logits (N, C), y (N,) integer classes
    """

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        ignore_index: int = -100,
        reduce: Any = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ):
        super().__init__(F._legacy_reduction("CrossEntropyLoss", size_average, reduce, reduction))
        arguments.number("CrossEntropyLoss", "label_smoothing", label_smoothing)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing {label_smoothing}; expected a value in [0, 1]"
            )
        self.weight = _weights("CrossEntropyLoss", "weight", weight, per_class=True)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )

    def extra_repr(self) -> str:
        extras = [super().extra_repr()]
        if self.label_smoothing:
            extras.append(f"label_smoothing={self.label_smoothing}")
        return ", ".join(e for e in extras if e)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities in [0, 1] (logs clamped at -100, as PyTorch's);
    `weight` (a buffer) scales each element's loss.

    >>> nn.BCELoss()(nn.Sigmoid()(logits), targets)  # targets: floats in [0, 1]
    """

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
    ):
        super().__init__(F._legacy_reduction("BCELoss", size_average, reduce, reduction))
        self.register_buffer("weight", _weights("BCELoss", "weight", weight))

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits: sigmoid and BCE in one, stable for any logit;
    `pos_weight` scales the positive term (one per class), `weight` each element's loss
    (both buffers).

    >>> nn.BCEWithLogitsLoss()(Tensor([0.0]), Tensor([1.0]))  # log 2
    Tensor(0.6931472)
    """

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
        pos_weight: Any = None,
    ):
        name = "BCEWithLogitsLoss"
        super().__init__(F._legacy_reduction(name, size_average, reduce, reduction))
        self.register_buffer("weight", _weights(name, "weight", weight))
        self.register_buffer("pos_weight", _weights(name, "pos_weight", pos_weight))

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


def _weights(loss: str, name: str, weight: Any, per_class: bool = False) -> Tensor | None:
    """None, or `weight` as a floating Tensor: one weight per class (1-D), or weights that
    broadcast to the input's shape (which forward checks)."""
    if weight is None:
        return None
    expected = (
        "a 1-D tensor of one weight per class"
        if per_class
        else ("a tensor that broadcasts to the input's shape")
    )
    if not isinstance(weight, (Tensor, np.ndarray, list, tuple)):
        raise TypeError(
            f"{loss}: {name}={type(weight).__name__} {weight!r:.40}; expected None or {expected}"
        )
    tensor = autodiff.as_tensor(weight)
    if not tensor.dtype.is_floating_point or (per_class and tensor.ndim != 1):
        raise (ValueError if per_class else TypeError)(
            f"{loss}: {name} of shape {tuple(tensor.shape)} and dtype {tensor.dtype}; expected "
            f"{expected}, floating"
        )
    return tensor


class HuberLoss(_Loss):
    """Quadratic below delta, linear above: see F.huber_loss.

    >>> nn.HuberLoss(delta=1.0)(Tensor([0.5, 3.0]), Tensor([0.0, 0.0]))  # (0.125 + 2.5) / 2
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = arguments.number("HuberLoss", "delta", delta, 0.0, above=True)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.huber_loss(input, target, self.reduction, self.delta)


class L1Loss(_Loss):
    """Mean absolute error, |input - target|.

    >>> nn.L1Loss()(Tensor([1.0, 3.0]), Tensor([1.0, 1.0]))
    Tensor(1.)
    """

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean"):
        super().__init__(F._legacy_reduction("L1Loss", size_average, reduce, reduction))

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below beta, linear above: see F.smooth_l1_loss.

    >>> nn.SmoothL1Loss(beta=1.0)(Tensor([0.5, 3.0]), Tensor([0.0, 0.0]))  # (0.125 + 2.5) / 2
    """

    def __init__(
        self,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
        beta: float = 1.0,
    ):
        super().__init__(F._legacy_reduction("SmoothL1Loss", size_average, reduce, reduction))
        if beta < 0:
            raise ValueError(f"SmoothL1Loss: beta={beta}; expected beta >= 0")
        self.beta = beta

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.smooth_l1_loss(input, target, self.reduction, self.beta)


class KLDivLoss(Module):
    """KL divergence of log-probabilities `input` from the target distribution: see F.kl_div
    (reduction='batchmean' gives the KL divergence per sample).

    >>> nn.KLDivLoss(reduction="batchmean")(log_probs, target_probs)
    """

    def __init__(
        self,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
        log_target: bool = False,
    ):
        super().__init__()
        F._legacy_reduction("KLDivLoss", size_average, reduce, "mean")
        if reduction not in ("mean", "sum", "none", "batchmean"):
            raise ValueError(
                f"KLDivLoss: unknown reduction {reduction!r}; expected 'batchmean', 'mean', "
                f"'sum' or 'none'"
            )
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.kl_div(input, target, self.reduction, self.log_target)
