"""Tests of nn.metrics: accuracy and confusion_matrix."""

import numpy as np
import pytest

import nn
from autodiff import Tensor
from nn.metrics import accuracy, confusion_matrix

LOGITS = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.5, 0.0, 4.0], [1.0, 2.0, 0.0]])
TARGETS = np.array([0, 1, 1, 0])  # predicted 0, 1, 2, 1


def test_accuracy_of_logits_and_of_predictions():
    assert accuracy(LOGITS, TARGETS) == 0.5
    assert accuracy(Tensor(LOGITS), Tensor(TARGETS)) == 0.5
    assert accuracy(np.array([0, 1, 2, 1]), TARGETS) == 0.5
    assert accuracy(TARGETS, TARGETS) == 1.0
    assert isinstance(accuracy(LOGITS, TARGETS), float)


def test_accuracy_rejects_mismatched_shapes_and_empty_input():
    with pytest.raises(ValueError, match=r"accuracy: outputs \(4, 1\) and targets \(4,\)"):
        accuracy(np.zeros((4, 1)), TARGETS)
    with pytest.raises(ValueError, match=r"outputs \(3,\) and targets \(4,\)"):
        accuracy(np.zeros(3, np.int64), TARGETS)
    with pytest.raises(TypeError, match="predictions of dtype float64"):
        accuracy(np.zeros(4), TARGETS)
    with pytest.raises(ValueError, match="accuracy: got 0 samples"):
        accuracy(np.zeros((0, 3)), np.zeros(0, np.int64))


def test_confusion_matrix_rows_are_true_classes():
    counts = confusion_matrix(np.array([0, 1, 2, 1]), TARGETS)
    np.testing.assert_array_equal(counts, [[1, 1, 0], [0, 1, 1], [0, 0, 0]])
    assert counts.dtype.kind == "i"
    np.testing.assert_array_equal(confusion_matrix(LOGITS, TARGETS), counts)
    assert confusion_matrix(TARGETS, TARGETS, num_classes=5).shape == (5, 5)
    assert confusion_matrix(TARGETS, TARGETS).sum() == 4


def test_confusion_matrix_rejects_classes_out_of_range():
    with pytest.raises(ValueError, match=r"classes 0..2 with num_classes=2"):
        confusion_matrix(np.array([0, 1, 2, 1]), TARGETS, num_classes=2)
    with pytest.raises(ValueError, match=r"classes -1..1"):
        confusion_matrix(np.array([0, -1, 1, 1]), TARGETS)
    with pytest.raises(TypeError, match="targets of dtype float64; expected integers"):
        confusion_matrix(TARGETS, TARGETS.astype(float))


def test_metrics_module_is_exported():
    assert nn.metrics.accuracy is accuracy
