"""Optimisers and learning-rate schedulers (PyTorch's torch.optim names and formulas)."""

from nn.optim import lr_scheduler
from nn.optim.adadelta import Adadelta
from nn.optim.adagrad import Adagrad
from nn.optim.adam import Adam, AdamW
from nn.optim.lbfgs import LBFGS
from nn.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    OneCycleLR,
    ReduceLROnPlateau,
    StepLR,
)
from nn.optim.optimizer import Optimizer
from nn.optim.rmsprop import RMSprop
from nn.optim.sgd import SGD

__all__ = [
    "ReduceLROnPlateau",
    "OneCycleLR",
    "MultiStepLR",
    "LinearLR",
    "LambdaLR",
    "ExponentialLR",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "LBFGS",
    "LRScheduler",
    "Optimizer",
    "RMSprop",
    "StepLR",
    "lr_scheduler",
]
