"""nn: neural-network building blocks on autodiff; every gradient comes from the engine.

Names follow PyTorch's torch.nn: nn.Module, nn.Linear, nn.Sequential, nn.functional, nn.optim,
nn.init, ... so a model's state_dict moves to its PyTorch twin and back unchanged.
"""

from nn import data, datasets, functional, init, metrics, optim, utils
from nn.activations import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from nn.layers import Dropout, Flatten, Sequential
from nn.linear import Linear
from nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from nn.mlp import MLP
from nn.module import LoadResult, Module, ModuleList
from nn.parameter import Parameter
from nn.random import default_generator, manual_seed

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "GELU",
    "LeakyReLU",
    "Linear",
    "LoadResult",
    "LogSoftmax",
    "MLP",
    "MSELoss",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "data",
    "datasets",
    "default_generator",
    "functional",
    "init",
    "manual_seed",
    "metrics",
    "optim",
    "utils",
]
