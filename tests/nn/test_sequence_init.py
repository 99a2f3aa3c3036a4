"""The sequence layers start from PyTorch's weights: after the same manual_seed, the state dict
of each layer built here equals PyTorch's bit for bit (float32)."""

import numpy as np
import pytest

import autodiff
import nn

LAYERS = {
    "rnn": lambda n: n.RNN(3, 4, 2, nonlinearity="relu", bidirectional=True),
    "lstm": lambda n: n.LSTM(3, 4, 2, proj_size=2),
    "gru": lambda n: n.GRU(3, 4, bias=False),
    "cells": lambda n: n.Sequential(n.RNNCell(3, 4), n.LSTMCell(3, 4), n.GRUCell(3, 4)),
    "attention": lambda n: n.MultiheadAttention(8, 2),
    "attention_kdim": lambda n: n.MultiheadAttention(8, 2, kdim=5, vdim=6, add_bias_kv=True),
    "encoder_layer": lambda n: n.TransformerEncoderLayer(8, 2, 16),
    "decoder_layer": lambda n: n.TransformerDecoderLayer(8, 2, 16, batch_first=True),
    "transformer": lambda n: n.Transformer(8, 2, 1, 2, 16, batch_first=True),
}


@pytest.mark.parametrize("key", LAYERS)
def test_same_seed_same_initial_state_as_pytorch(key):
    torch = pytest.importorskip("torch")
    torch.manual_seed(7)
    theirs = LAYERS[key](torch.nn).state_dict()
    autodiff.manual_seed(7)
    ours = LAYERS[key](nn).state_dict()
    assert list(ours) == list(theirs)
    for name, value in theirs.items():
        np.testing.assert_array_equal(ours[name], value.numpy(), err_msg=name)
        assert ours[name].dtype == np.float32
