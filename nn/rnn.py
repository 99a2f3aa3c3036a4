"""Recurrent layers as PyTorch has them: RNN, LSTM, GRU over whole sequences, and their cells.

Each time step is recorded ops (a linear for the state's share of the gates, then the gates'
maths: tanh or relu, or the engine's fused lstm_gates / gru_gates), so backpropagation
through time is the engine's backward over the unrolled steps. Parameter names, shapes, gate
order and initialisation are PyTorch's, so a state_dict moves between the two unchanged.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

import autodiff
from autodiff import DTypeError, ShapeError, Tensor
from nn import arguments
from nn import functional as F
from nn import init as initialisers
from nn.module import Module
from nn.parameter import Parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ----- one time step ------------------------------------------------------------------------
# Each step takes `xw`, the input's share of the gates (x @ weight_ihᵀ + bias_ih, computed for
# all time steps at once), and the previous state; it returns the new state.


def _rnn_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, relu: bool) -> Tensor:
    """h' = act(xw + h @ w_hhᵀ + b_hh), act tanh or relu."""
    pre = xw + F.linear(h, w_hh, b_hh)
    return pre.relu() if relu else pre.tanh()


def _lstm_step(
    xw: Tensor,
    state: tuple[Tensor, Tensor],
    w_hh: Tensor,
    b_hh: Tensor | None,
    w_hr: Tensor | None,
) -> tuple[Tensor, Tensor]:
    """Gates i, f, g, o (PyTorch's order); c' = f·c + i·g, h' = o·tanh(c'), projected by w_hr."""
    h, c = state
    hc = autodiff.lstm_gates(xw + F.linear(h, w_hh, b_hh), c)  # one op for the gates' maths
    h, c = hc[0], hc[1]
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _gru_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    """r, z = σ(xw + hw) on their slices; n = tanh(xw_n + r·hw_n); h' = (1 - z)·n + z·h."""
    return autodiff.gru_gates(xw, F.linear(h, w_hh, b_hh), h)  # one op for the gates' maths


# ----- argument checks ----------------------------------------------------------------------


def _positive_int(layer: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{layer}: {name}={value!r}; expected a positive integer")
    return int(value)


def _floating_input(layer: str, input: Any, dtype: np.dtype) -> Tensor:
    x = autodiff.as_tensor(input)
    if x.dtype != dtype:
        raise DTypeError(
            f"{layer}: input {x.dtype} for parameters of {dtype}; expected one dtype: convert "
            f"the input (e.g. x.float()) or the layer (e.g. .double())"
        )
    return x


def _state_tensor(layer: str, what: str, value: Any, shape: tuple, dtype: np.dtype) -> Tensor:
    state = autodiff.as_tensor(value)
    if tuple(state.shape) != tuple(shape):
        raise ShapeError(f"{layer}: {what} of shape {tuple(state.shape)}; expected {shape}")
    if state.dtype != dtype:
        raise DTypeError(f"{layer}: {what} {state.dtype} for input {dtype}; expected {dtype}")
    return state


# ----- whole sequences ----------------------------------------------------------------------


class RNNBase(Module):
    """What RNN, LSTM and GRU share: layers × directions of one cell, run over a sequence.

    Parameters per layer k and direction (suffix "_reverse" for the backward one), in PyTorch's
    order: weight_ih_l{k} (gates·hidden, input), weight_hh_l{k} (gates·hidden, hidden),
    bias_ih_l{k}, bias_hh_l{k} (gates·hidden,), and for an LSTM with proj_size > 0
    weight_hr_l{k} (proj_size, hidden). All start from U(-1/√hidden, 1/√hidden), as PyTorch's.
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        dtype: Any = None,
    ):
        super().__init__()
        layer = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        self.mode = mode
        self.input_size = _positive_int(layer, "input_size", input_size)
        self.hidden_size = _positive_int(layer, "hidden_size", hidden_size)
        self.num_layers = arguments.size(layer, "num_layers", num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
            raise TypeError(f"{layer}: dropout={dropout!r}; expected a number in [0, 1]")
        if not 0 <= dropout <= 1:
            raise ValueError(f"{layer}: dropout={dropout!r}; expected a number in [0, 1]")
        if dropout > 0 and self.num_layers == 1:
            warnings.warn(
                f"{layer}: dropout={dropout} with num_layers=1 does nothing: dropout applies "
                f"between stacked layers, after every layer but the last",
                stacklevel=5,  # RNN/LSTM/GRU's caller, past two errors.named_errors frames
            )
        if isinstance(proj_size, bool) or not isinstance(proj_size, numbers.Integral):
            raise TypeError(f"{layer}: proj_size={proj_size!r}; expected an integer")
        if proj_size < 0 or proj_size >= self.hidden_size:
            raise ValueError(
                f"{layer}: proj_size={proj_size} with hidden_size={self.hidden_size}; expected "
                f"0 <= proj_size < hidden_size"
            )
        if proj_size and mode != "LSTM":
            raise ValueError(f"{layer}: proj_size is only for LSTM; expected proj_size=0")
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = int(proj_size)
        dtype = autodiff.get_default_dtype() if dtype is None else np.dtype(dtype)
        gate_size = _GATES[mode] * self.hidden_size
        output_size = self.proj_size or self.hidden_size
        arguments.fitting_layers(  # the least a layer after the first holds: its weight_hh
            layer, "num_layers", self.num_layers, gate_size * output_size * dtype.itemsize
        )
        self._flat_weights_names: list[str] = []
        for k in range(self.num_layers):
            in_size = self.input_size if k == 0 else output_size * self.num_directions
            for suffix in ("", "_reverse")[: self.num_directions]:
                shapes = {
                    f"weight_ih_l{k}{suffix}": (gate_size, in_size),
                    f"weight_hh_l{k}{suffix}": (gate_size, output_size),
                }
                if self.bias:
                    shapes[f"bias_ih_l{k}{suffix}"] = (gate_size,)
                    shapes[f"bias_hh_l{k}{suffix}"] = (gate_size,)
                if self.proj_size:
                    shapes[f"weight_hr_l{k}{suffix}"] = (self.proj_size, self.hidden_size)
                for name, shape in shapes.items():
                    setattr(self, name, Parameter(np.empty(shape, dtype)))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _layer_name(self) -> str:
        return type(self).__name__

    def reset_parameters(self) -> None:
        """Every parameter from U(-1/√hidden_size, 1/√hidden_size), in registration order."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            initialisers.uniform_(weight, -bound, bound)

    def flatten_parameters(self) -> None:
        """Nothing to do: PyTorch packs the weights for cuDNN here; on the CPU it is a no-op."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters grouped per layer and direction, as PyTorch's all_weights."""
        per = len(self._flat_weights_names) // (self.num_layers * self.num_directions)
        names = self._flat_weights_names
        return [
            [getattr(self, name) for name in names[start : start + per]]
            for start in range(0, len(names), per)
        ]

    def _weights(self, k: int, suffix: str) -> tuple[Any, ...]:
        get = self.__dict__.get
        return (
            get(f"weight_ih_l{k}{suffix}"),
            get(f"weight_hh_l{k}{suffix}"),
            get(f"bias_ih_l{k}{suffix}"),
            get(f"bias_hh_l{k}{suffix}"),
            get(f"weight_hr_l{k}{suffix}"),
        )

    def _sequence(self, input: Any) -> tuple[Tensor, bool]:
        """The input as (L, N, input_size), and whether it had a batch dim."""
        name = self._layer_name
        x = _floating_input(name, input, self.weight_ih_l0.dtype)
        if x.ndim not in (2, 3):
            raise ShapeError(
                f"{name}: input of shape {tuple(x.shape)}; expected 3 dims "
                f"({'batch, seq' if self.batch_first else 'seq, batch'}, input_size) or 2 dims "
                f"(seq, input_size) for one unbatched sequence"
            )
        if x.shape[-1] != self.input_size:
            raise ShapeError(
                f"{name}: input of shape {tuple(x.shape)}; expected its last dim to be "
                f"input_size={self.input_size}, got {x.shape[-1]}"
            )
        batched = x.ndim == 3
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[0] == 0:
            raise ShapeError(
                f"{name}: input of shape {tuple(x.shape)}; expected a sequence length > 0"
            )
        return x, batched

    def _initial_state(self, hx: Any, what: str, size: int, batch: int, batched: bool, x: Tensor):
        """hx as (layers·directions, N, size), zeros when None."""
        name = self._layer_name
        shape = (self.num_layers * self.num_directions, batch, size)
        if hx is None:
            return autodiff.zeros(shape, dtype=x.dtype)
        state = autodiff.as_tensor(hx)
        expected = shape if batched else (shape[0], size)
        if state.ndim != len(expected):
            raise ShapeError(
                f"{name}: {what} of shape {tuple(state.shape)} for "
                f"{'a batched 3-D' if batched else 'an unbatched 2-D'} input; expected {expected}"
            )
        state = _state_tensor(name, what, state, expected, x.dtype)
        return state if batched else state.unsqueeze(1)

    def _run_direction(
        self, xw: Tensor, state: Any, weights: tuple, reverse: bool
    ) -> tuple[Tensor, Any]:
        """Run one cell over the time steps of xw (L, N, gates); (outputs (L, N, H), last state)."""
        _, w_hh, _, b_hh, w_hr = weights
        steps = range(xw.shape[0] - 1, -1, -1) if reverse else range(xw.shape[0])
        outputs: list[Tensor] = [None] * xw.shape[0]  # type: ignore[list-item]
        for t in steps:
            if self.mode == "LSTM":
                state = _lstm_step(xw[t], state, w_hh, b_hh, w_hr)
                outputs[t] = state[0]
            elif self.mode == "GRU":
                state = _gru_step(xw[t], state, w_hh, b_hh)
                outputs[t] = state
            else:
                state = _rnn_step(xw[t], state, w_hh, b_hh, self.mode == "RNN_RELU")
                outputs[t] = state
        return autodiff.stack(outputs, 0), state

    def _run(self, input: Any, hx: Any, cx: Any = None) -> tuple[Tensor, Tensor, Tensor | None]:
        """(output, h_n, c_n) in the input's layout; c_n is None except for an LSTM."""
        x, batched = self._sequence(input)
        batch = x.shape[1]
        h0 = self._initial_state(hx, "h_0", self.proj_size or self.hidden_size, batch, batched, x)
        c0 = None
        if self.mode == "LSTM":
            c0 = self._initial_state(cx, "c_0", self.hidden_size, batch, batched, x)
        h_last, c_last = [], []
        layer_input = x
        for k in range(self.num_layers):
            outputs = []
            for d, suffix in enumerate(("", "_reverse")[: self.num_directions]):
                weights = self._weights(k, suffix)
                index = k * self.num_directions + d
                state: Any = h0[index] if c0 is None else (h0[index], c0[index])
                xw = F.linear(layer_input, weights[0], weights[2])
                output, state = self._run_direction(xw, state, weights, reverse=d == 1)
                outputs.append(output)
                if c0 is None:
                    h_last.append(state)
                else:
                    h_last.append(state[0])
                    c_last.append(state[1])
            layer_input = outputs[0] if len(outputs) == 1 else autodiff.cat(outputs, 2)
            if self.dropout and self.training and k < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        h_n = autodiff.stack(h_last, 0)
        c_n = autodiff.stack(c_last, 0) if c0 is not None else None
        output = layer_input
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, h_n, c_n

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Any]:
        output, h_n, _ = self._run(input, hx)
        return output, h_n

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(RNNBase):
    """An Elman RNN, PyTorch's nn.RNN: h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh).

    Input (L, N, input_size), or (N, L, input_size) with batch_first=True, or (L, input_size)
    unbatched; h_0 (num_layers·directions, N, hidden_size), zeros if omitted. Returns
    (output (L, N, directions·hidden_size), h_n) in the input's layout.

    >>> rnn = nn.RNN(10, 20, num_layers=2)
    >>> output, h_n = rnn(autodiff.randn(5, 3, 10))
    >>> output.shape, h_n.shape
    (Size([5, 3, 20]), Size([2, 3, 20]))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNN: unknown nonlinearity {nonlinearity!r}; expected 'tanh' or 'relu'"
            )
        self.nonlinearity = nonlinearity
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            mode,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            dtype=dtype,
        )


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's nn.LSTM, gates in its order (input, forget, cell,
    output): c_t = f·c_{t-1} + i·g, h_t = o·tanh(c_t) (projected by weight_hr with proj_size).

    Takes (input, (h_0, c_0)) and returns (output, (h_n, c_n)); the states default to zeros.

    >>> lstm = nn.LSTM(10, 20, batch_first=True)
    >>> output, (h_n, c_n) = lstm(autodiff.randn(3, 5, 10))
    >>> output.shape, c_n.shape
    (Size([3, 5, 20]), Size([1, 3, 20]))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        dtype: Any = None,
    ):
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            dtype,
        )

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        h0 = c0 = None
        if hx is not None:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(
                    f"LSTM: hx of type {type(hx).__name__}; expected a tuple (h_0, c_0)"
                )
            h0, c0 = hx
            if h0 is None or c0 is None:
                raise TypeError("LSTM: hx holds None; expected both h_0 and c_0, or hx=None")
        output, h_n, c_n = self._run(input, h0, c0)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's nn.GRU, gates in its order (reset, update, new):
    n = tanh(x W_inᵀ + b_in + r·(h W_hnᵀ + b_hn)), h_t = (1 - z)·n + z·h_{t-1}.

    >>> gru = nn.GRU(10, 20, bidirectional=True)
    >>> output, h_n = gru(autodiff.randn(5, 3, 10))
    >>> output.shape, h_n.shape
    (Size([5, 3, 40]), Size([2, 3, 20]))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = None,
    ):
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            dtype=dtype,
        )


# ----- one step at a time -------------------------------------------------------------------


class RNNCellBase(Module):
    """What the cells share: weight_ih (gates·hidden, input), weight_hh (gates·hidden, hidden),
    bias_ih and bias_hh (gates·hidden,), all from U(-1/√hidden, 1/√hidden) as PyTorch's."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype: Any = None):
        super().__init__()
        name = type(self).__name__
        self.input_size = _positive_int(name, "input_size", input_size)
        self.hidden_size = _positive_int(name, "hidden_size", hidden_size)
        self.bias = bool(bias)
        dtype = autodiff.get_default_dtype() if dtype is None else np.dtype(dtype)
        gate_size = self.gates * self.hidden_size
        self.weight_ih = Parameter(np.empty((gate_size, self.input_size), dtype))
        self.weight_hh = Parameter(np.empty((gate_size, self.hidden_size), dtype))
        if self.bias:
            self.bias_ih = Parameter(np.empty(gate_size, dtype))
            self.bias_hh = Parameter(np.empty(gate_size, dtype))
        else:
            self.bias_ih = self.bias_hh = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter from U(-1/√hidden_size, 1/√hidden_size), in registration order."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            initialisers.uniform_(weight, -bound, bound)

    def _input(self, input: Any) -> Tensor:
        name = type(self).__name__
        x = _floating_input(name, input, self.weight_ih.dtype)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ShapeError(
                f"{name}: input of shape {tuple(x.shape)}; expected (batch, {self.input_size}) "
                f"or ({self.input_size},) for one unbatched sample"
            )
        return x

    def _state(self, hx: Any, what: str, x: Tensor) -> Tensor:
        shape = (*x.shape[:-1], self.hidden_size)
        if hx is None:
            return autodiff.zeros(shape, dtype=x.dtype)
        return _state_tensor(type(self).__name__, what, hx, shape, x.dtype)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        return text


class RNNCell(RNNCellBase):
    """One step of an Elman RNN, PyTorch's nn.RNNCell: h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).

    >>> cell = nn.RNNCell(10, 20)
    >>> cell(autodiff.randn(3, 10)).shape
    Size([3, 20])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        dtype: Any = None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: unknown nonlinearity {nonlinearity!r}; expected 'tanh' or 'relu'"
            )
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, dtype)

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x = self._input(input)
        h = self._state(hx, "hx", x)
        xw = F.linear(x, self.weight_ih, self.bias_ih)
        return _rnn_step(xw, h, self.weight_hh, self.bias_hh, self.nonlinearity == "relu")


class LSTMCell(RNNCellBase):
    """One step of an LSTM, PyTorch's nn.LSTMCell: (h, c) → (h', c'), gates i, f, g, o.

    >>> cell = nn.LSTMCell(10, 20)
    >>> h, c = cell(autodiff.randn(3, 10))
    >>> h.shape, c.shape
    (Size([3, 20]), Size([3, 20]))
    """

    gates = 4

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        x = self._input(input)
        if hx is None:
            h = c = self._state(None, "h", x)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(
                    f"LSTMCell: hx of type {type(hx).__name__}; expected a tuple (h, c)"
                )
            h, c = self._state(hx[0], "h", x), self._state(hx[1], "c", x)
        xw = F.linear(x, self.weight_ih, self.bias_ih)
        return _lstm_step(xw, (h, c), self.weight_hh, self.bias_hh, None)


class GRUCell(RNNCellBase):
    """One step of a GRU, PyTorch's nn.GRUCell: h → h', gates r, z, n.

    >>> cell = nn.GRUCell(10, 20)
    >>> cell(autodiff.randn(3, 10)).shape
    Size([3, 20])
    """

    gates = 3

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x = self._input(input)
        h = self._state(hx, "hx", x)
        xw = F.linear(x, self.weight_ih, self.bias_ih)
        return _gru_step(xw, h, self.weight_hh, self.bias_hh)
