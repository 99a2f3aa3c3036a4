"""Classification metrics on numpy arrays or Tensors: accuracy and the confusion matrix."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import ShapeError, Tensor


def _array(values: Any) -> np.ndarray:
    return np.asarray(values.numpy() if isinstance(values, Tensor) else values)


def _predicted_classes(outputs: Any, targets: np.ndarray, op: str) -> np.ndarray:
    """Class predictions: `outputs` itself if it has the targets' shape, else the argmax of
    scores (logits or probabilities) with one more, last, axis of at least 2 classes.
    """
    outputs = _array(outputs)
    if outputs.shape == targets.shape:
        predictions = outputs
    elif outputs.shape[:-1] == targets.shape and outputs.shape[-1] >= 2:
        predictions = outputs.argmax(axis=-1)
    else:
        raise ShapeError(
            f"{op}: outputs {outputs.shape} and targets {targets.shape}; expected predictions "
            f"of the targets' shape, or scores of shape (*targets.shape, C) with C >= 2"
        )
    if predictions.dtype.kind not in "iub":
        raise TypeError(
            f"{op}: predictions of dtype {predictions.dtype}; expected integer class indices "
            f"(or scores with a class axis)"
        )
    return predictions


def accuracy(logits_or_predictions: Any, targets: Any) -> float:
    """The fraction of samples whose predicted class equals the target, in [0, 1].

    >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
    0.5
    """
    targets = _array(targets)
    predictions = _predicted_classes(logits_or_predictions, targets, "accuracy")
    if targets.size == 0:
        raise ValueError("accuracy: got 0 samples; expected at least one")
    return float(np.mean(predictions == targets))


def confusion_matrix(predictions: Any, targets: Any, num_classes: int | None = None) -> np.ndarray:
    """counts[i, j] = how many samples of true class i were predicted as class j.

    num_classes defaults to the largest class seen + 1. Predictions may also be scores with a
    last class axis (their argmax is used).

    >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 0]))
    array([[1, 1],
           [0, 1]])
    """
    targets = _array(targets)
    if targets.dtype.kind not in "iub":
        raise TypeError(f"confusion_matrix: targets of dtype {targets.dtype}; expected integers")
    predicted = _predicted_classes(predictions, targets, "confusion_matrix").astype(np.int64)
    truth = targets.astype(np.int64)
    low = min(predicted.min(initial=0), truth.min(initial=0))
    high = max(predicted.max(initial=-1), truth.max(initial=-1))
    if num_classes is None:
        num_classes = int(high) + 1
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"confusion_matrix: classes {low}..{high} with num_classes={num_classes}; "
            f"expected classes in 0..num_classes-1"
        )
    pairs = truth.ravel() * num_classes + predicted.ravel()
    counts = np.bincount(pairs, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)
