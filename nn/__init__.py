"""nn: neural-network building blocks on autodiff; every gradient comes from the engine.

Names follow PyTorch's torch.nn: nn.Module, nn.Linear, nn.Sequential, nn.functional, nn.optim,
nn.init, ... so a model's state_dict moves to its PyTorch twin and back unchanged.
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING

from nn import data, functional, init, metrics, optim, utils
from nn.activations import *  # noqa: F403 - GELU and the activations of the op table
from nn.activations import __all__ as _activations
from nn.attention import MultiheadAttention
from nn.conv import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    Dropout2d,
    MaxPool2d,
)
from nn.distance import CosineSimilarity, PairwiseDistance
from nn.embedding import Embedding
from nn.layers import Dropout, Flatten, Identity, Sequential
from nn.linear import Linear
from nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from nn.mlp import MLP
from nn.module import (
    LoadResult,
    Module,
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
)
from nn.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from nn.parameter import Parameter
from nn.random import default_generator, manual_seed
from nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

if _TYPE_CHECKING:  # imported on first use by __getattr__
    from nn import datasets


def __getattr__(name: str) -> object:
    """nn.datasets, imported on first use: its downloader's http, ssl and email modules were
    most of nn's import time."""
    if name == "datasets":
        return _importlib.import_module("nn.datasets")
    raise AttributeError(f"module 'nn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "datasets"})


__all__ = [
    "GroupNorm",
    "SmoothL1Loss",
    "L1Loss",
    "HuberLoss",
    "KLDivLoss",
    "Identity",
    "Conv1d",
    "ConvTranspose2d",
    "CosineSimilarity",
    "PairwiseDistance",
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "TransformerDecoderLayer",
    "TransformerDecoder",
    "Transformer",
    "MultiheadAttention",
    "RNNCellBase",
    "RNNCell",
    "RNNBase",
    "RNN",
    "LSTMCell",
    "LSTM",
    "GRUCell",
    "GRU",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "Dropout2d",
    "Embedding",
    "LayerNorm",
    "MaxPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "Linear",
    "LoadResult",
    "MLP",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "Sequential",
    "data",
    "datasets",
    "default_generator",
    "functional",
    "init",
    "manual_seed",
    "metrics",
    "optim",
    "utils",
    *_activations,
]
