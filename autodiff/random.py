"""Random numbers with PyTorch's CPU streams: the same seed gives the same numbers, bit for bit.

A `Generator` is a Mersenne Twister (mt19937) seeded as PyTorch seeds its CPU generator (numpy's
`MT19937` with its legacy seeding yields the same 32-bit words), and every distribution does
PyTorch's arithmetic on those words:

- a float32 uniform takes the low 24 bits of one word, x = (w & (2²⁴-1)) · 2⁻²⁴; a float64
  uniform the low 53 bits of two words joined (first word high); U(a, b) is x·(b-a) + a;
- randint(low, high) is low + w mod (high-low) (two words joined for a range of 2²⁸ or more);
- randperm(n) is a Fisher-Yates shuffle that swaps slot i with slot i + w mod (n-i);
- randn of 16 elements or more draws all uniforms first and turns each block of 16 into
  normals by Box-Muller (slots j and j+8 pair up; a last partial block is redrawn over the
  tail), in float32 with the polynomial log, sin and cos of PyTorch's AVX2/AVX-512 kernel;
  fewer than 16 elements are drawn one by one from float64 pairs, the second of each pair kept
  for the next draw;
- exponential is -log1p(-x)/λ, bernoulli x < p, multinomial a binary search of the normalised
  cumulative sum (with replacement) or the top k of p / Exp(1) (without, and for one sample).

The global generator starts, as PyTorch's, from a seed drawn from the operating system at
import (a new `Generator()` from 67280421310721, PyTorch's default); `manual_seed(s)` reseeds
it. nn's initialisers, dropout and DataLoader shuffling draw from it.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from autodiff.creation import check_device, sizes
from autodiff.dtypes import as_dtype
from autodiff.errors import DTypeError, ShapeError, named_errors
from autodiff.tensor import Tensor, get_default_dtype

DEFAULT_SEED = 67280421310721  # PyTorch's default_rng_seed_val
_STATE_WORDS = 624
_STATE_BYTES = 5056  # PyTorch's CPU generator state (get_state) is this many bytes
# The layout of PyTorch's CPU generator state: the legacy mt19937 record, then the cached float
# normal. Generator.get_state gives these bytes, so a state moves between the two libraries.
_STATE_LAYOUT = np.dtype(
    {
        "names": [
            "seed",
            "left",
            "seeded",
            "next",
            "state",
            "normal_x",
            "normal_y",
            "normal_rho",
            "normal_is_valid",
            "next_float_normal",
            "float_normal_is_valid",
        ],
        "formats": [
            "<u8",
            "<i4",
            "<i4",
            "<u8",
            ("<u8", _STATE_WORDS),
            "<f8",
            "<f8",
            "<f8",
            "<i4",
            "<f4",
            "u1",
        ],
        "offsets": [0, 8, 12, 16, 24, 5016, 5024, 5032, 5040, 5048, 5052],
        "itemsize": _STATE_BYTES,
    }
)


def _check_generator(generator: Any, op: str) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(
            f"{op}: generator is a {type(generator).__name__}; expected an autodiff.Generator "
            f"(autodiff.Generator().manual_seed(seed)), whose streams are PyTorch's"
        )
    return generator


_MAKING_BITS = threading.Lock()


@named_errors
class Generator:
    """PyTorch's CPU random generator: an mt19937 stream with PyTorch's seeding and state.

    >>> g = autodiff.Generator().manual_seed(2147483647)
    >>> autodiff.rand(3, generator=g)  # torch.rand(3, generator=g)'s values, bit for bit
    """

    def __init__(self, device: Any = "cpu"):
        check_device(device)
        self._made_bits: np.random.MT19937 | None = None  # made at the first draw: _bits
        self.manual_seed(DEFAULT_SEED)

    @property
    def _bits(self) -> np.random.MT19937:
        """The mt19937 stream, made and seeded at its first use: numpy.random (a quarter of
        autodiff's import time) is imported then, not with autodiff."""
        if self._made_bits is None:
            with _MAKING_BITS:  # so that two threads drawing first share one stream
                if self._made_bits is None:
                    bits = np.random.MT19937(0)
                    bits._legacy_seeding(self._seed & 0xFFFFFFFF)
                    self._made_bits = bits
        return self._made_bits

    @property
    def device(self) -> Any:
        from autodiff.device import device

        return device("cpu")

    def manual_seed(self, seed: Any) -> Generator:
        """Reseed from an integer (taken modulo 2⁶⁴ as PyTorch does); returns self."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(
                f"manual_seed: seed={seed!r}; expected an integer (e.g. manual_seed(0))"
            )
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise ValueError(
                f"manual_seed: seed={seed}; expected an integer in [-2**63, 2**64) as PyTorch's"
            )
        self._seed = seed % 2**64
        if self._made_bits is not None:  # else _bits seeds it when it is made
            self._made_bits._legacy_seeding(self._seed & 0xFFFFFFFF)  # the low 32 bits
        self._fresh = True  # nothing drawn since seeding (PyTorch's state then says next = 0)
        self._next_double_normal: float | None = None
        self._next_float_normal: float | None = None
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        seed = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed of the last manual_seed (or seed)."""
        return self._seed

    def get_state(self) -> Tensor:
        """The state as a uint8 Tensor, in the byte layout of PyTorch's CPU generator."""
        state = np.zeros((), _STATE_LAYOUT)
        numpy_state = self._bits.state["state"]
        position = int(numpy_state["pos"])
        state["seed"] = self._seed
        state["left"] = _STATE_WORDS + 1 - position
        state["seeded"] = 1
        state["next"] = 0 if self._fresh else position
        state["state"] = numpy_state["key"]
        if self._next_double_normal is not None:
            state["normal_y"] = self._next_double_normal
            state["normal_is_valid"] = 1
        if self._next_float_normal is not None:
            state["next_float_normal"] = self._next_float_normal
            state["float_normal_is_valid"] = 1
        return Tensor._wrap(np.frombuffer(state.tobytes(), np.uint8).copy())

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state from get_state (this library's or PyTorch's); returns self."""
        array = np.asarray(new_state.numpy() if isinstance(new_state, Tensor) else new_state)
        if array.dtype != np.uint8 or array.shape != (_STATE_BYTES,):
            raise ValueError(
                f"set_state: a state of dtype {array.dtype} and shape {array.shape}; expected "
                f"the uint8 tensor of {_STATE_BYTES} bytes that get_state returns"
            )
        state = np.frombuffer(array.tobytes(), _STATE_LAYOUT)[0]
        left = int(state["left"])
        if not 1 <= left <= _STATE_WORDS + 1:
            raise ValueError(f"set_state: corrupt state (left={left}); expected 1..625")
        self._bits.state = {
            "bit_generator": "MT19937",
            "state": {
                "key": state["state"].astype(np.uint32),
                "pos": _STATE_WORDS + 1 - left if left > 1 else _STATE_WORDS,
            },
        }
        self._seed = int(state["seed"])
        self._fresh = left == 1 and int(state["next"]) == 0
        self._next_double_normal = float(state["normal_y"]) if state["normal_is_valid"] else None
        self._next_float_normal = (
            float(state["next_float_normal"]) if state["float_normal_is_valid"] else None
        )
        return self

    def __repr__(self) -> str:
        return f"<autodiff.Generator seed={self._seed}>"

    # ----- the raw draws every distribution is built on ----------------------------------

    def _words(self, count: int) -> np.ndarray:
        """The next `count` 32-bit outputs, as uint64."""
        if count:  # an empty draw leaves the state as it is (PyTorch's draws nothing)
            self._fresh = False
        return self._bits.random_raw(count).astype(np.uint64)

    def _words64(self, count: int) -> np.ndarray:
        """The next `count` 64-bit values, each two 32-bit outputs joined (the first high)."""
        words = self._words(2 * count)
        return (words[0::2] << np.uint64(32)) | words[1::2]

    def _uniform(self, count: int, dtype: np.dtype) -> np.ndarray:
        """`count` uniforms on [0, 1) as PyTorch's CPU draws them for `dtype`, in float64."""
        if dtype == np.float64:
            return (self._words64(count) & np.uint64(2**53 - 1)) * 2.0**-53
        bits = np.finfo(dtype).nmant + 1  # 24 for float32, 11 for float16
        return (self._words(count) & np.uint64(2**bits - 1)) * 2.0**-bits

    def _normal_pairs(self, count: int) -> np.ndarray:
        """`count` standard normals drawn one by one as PyTorch's scalar path does: a float64
        Box-Muller pair per two draws, the sine half kept for the next draw (also across calls).
        """
        out = np.empty(count, np.float64)
        for i in range(count):
            if self._next_double_normal is not None:
                out[i], self._next_double_normal = self._next_double_normal, None
                continue
            u1, u2 = self._uniform(2, np.dtype(np.float64))
            radius = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            self._next_double_normal = radius * math.sin(theta)
            out[i] = radius * math.cos(theta)
        return out


default_generator = Generator()
default_generator.seed()  # as PyTorch's (2.13): from the operating system's entropy at import


@named_errors
def manual_seed(seed: Any) -> Generator:
    """Reseed the global generator; returns it (PyTorch's torch.manual_seed).

    >>> import autodiff as torch
    >>> torch.manual_seed(0)
    >>> layer = nn.Linear(3, 2)  # PyTorch's weights after torch.manual_seed(0)
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Reseed the global generator from the operating system; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The global generator's seed."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The global generator's state (a uint8 Tensor, PyTorch's byte layout)."""
    return default_generator.get_state()


@named_errors
def set_rng_state(new_state: Any) -> None:
    """Restore the global generator's state from get_rng_state()."""
    default_generator.set_state(new_state)


# ----- the distributions, on numpy arrays --------------------------------------------------


def _fma(a: Any, b: Any, c: Any) -> np.ndarray:
    """float32 a·b + c rounded once, as a fused multiply-add does (the product of two float32
    values is exact in float64)."""
    a = np.asarray(a, np.float32).astype(np.float64)
    b = np.asarray(b, np.float32).astype(np.float64)
    return (a * b + np.asarray(c, np.float32).astype(np.float64)).astype(np.float32)


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """a = high + low exactly, each half with at most 26 significant bits (Veltkamp)."""
    c = 134217729.0 * a  # 2^27 + 1
    high = c - (c - a)
    return high, a - high


def _fma64(a: Any, b: Any, c: Any) -> np.ndarray:
    """float64 a·b + c rounded once, as a fused multiply-add does: the product split exactly
    into p + e (Dekker), then (p + c) + e summed with the rounding error of p + c kept."""
    a, b, c = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, c)))
    p = a * b
    a_high, a_low = _split(a)
    b_high, b_low = _split(b)
    e = ((a_high * b_high - p) + a_high * b_low + a_low * b_high) + a_low * b_low
    s = p + c
    back = s - p
    t = (p - (s - back)) + (c - back)  # p + c = s + t exactly
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(p), s + (t + e), p + c)


_LOG_POLY = (
    7.0376836292e-2,
    -1.1514610310e-1,
    1.1676998740e-1,
    -1.2420140846e-1,
    1.4249322787e-1,
    -1.6668057665e-1,
    2.0000714765e-1,
    -2.4999993993e-1,
    3.3333331174e-1,
)


def _log_avx(x: np.ndarray) -> np.ndarray:
    """float32 log(x) for 0 < x <= 1 as PyTorch's vectorised normal kernel computes it: the
    Cephes polynomial in float32, its multiply-adds fused."""
    bits = x.view(np.int32)
    exponent = ((bits >> 23) - 126).astype(np.float32)
    mantissa = ((bits & ~0x7F800000) | 0x3F000000).view(np.float32)  # x = mantissa · 2^exponent
    small = mantissa < np.float32(0.707106781186547524)
    exponent = exponent - small.astype(np.float32)  # mantissa < √½: use 2·mantissa instead
    m = (mantissa - np.float32(1)) + np.where(small, mantissa, np.float32(0))
    z = m * m
    y = np.full_like(m, _LOG_POLY[0])
    for coefficient in _LOG_POLY[1:]:
        y = _fma(y, m, coefficient)
    y = y * m
    y = _fma(y, z, exponent * np.float32(-2.12194440e-4))
    y = _fma(z, -0.5, y)
    return _fma(exponent, 0.693359375, m + y)


def _sincos_avx(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 (sin x, cos x) for 0 <= x < 2π as PyTorch's vectorised normal kernel computes
    them: Cephes' reduction to ±π/4 and its two polynomials, multiply-adds fused."""
    octant = (x * np.float32(1.27323954473516)).astype(np.int32)  # x / (π/4), truncated
    octant = (octant + 1) & ~1
    y = octant.astype(np.float32)
    x = _fma(y, -0.78515625, x)  # x - y·π/4 in three parts, for precision
    x = _fma(y, -2.4187564849853515625e-4, x)
    x = _fma(y, -3.77489497744594108e-8, x)
    z = x * x
    cos = _fma(np.float32(2.443315711809948e-5), z, -1.388731625493765e-3)
    cos = _fma(cos, z, 4.166664568298827e-2)
    cos = _fma(cos * z, z, -(z * np.float32(0.5))) + np.float32(1)
    sin = _fma(np.float32(-1.9515295891e-4), z, 8.3321608736e-3)
    sin = _fma(sin, z, -1.6666654611e-1)
    sin = _fma(sin * z, x, x)
    swap = (octant & 2) != 0
    sin, cos = np.where(swap, cos, sin), np.where(swap, sin, cos)
    sin = np.where((octant & 4) != 0, -sin, sin)
    cos = np.where(((octant - 2) & 4) == 0, -cos, cos)
    return sin, cos


def _box_muller_blocks(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Blocks of 16 uniforms (rows) to standard normals: slot j (u1 = 1 - x) pairs with slot
    j + 8 (u2), giving radius·cos θ in slot j and radius·sin θ in slot j + 8."""
    u1 = 1 - values[:, :8]
    u2 = values[:, 8:]
    if dtype == np.float32:
        radius = np.sqrt(np.float32(-2) * _log_avx(u1))
        sin, cos = _sincos_avx(np.float32(2 * math.pi) * u2)
        return np.concatenate([radius * cos, radius * sin], axis=1)
    # float64: the C library's log, cos and sin (Python's math module calls the same ones)
    radius = np.sqrt(-2 * _libm(math.log, u1))
    theta = 2 * math.pi * u2
    cos = _libm(math.cos, theta)
    sin = _libm(math.sin, theta)
    return np.concatenate([radius * cos, radius * sin], axis=1)


def _libm(function: Callable[[float], float], x: np.ndarray) -> np.ndarray:
    """function(x) elementwise through Python's math module, i.e. the C library's double
    functions that PyTorch's kernels call (numpy's own log, sin and cos differ in the last bit
    now and then)."""
    return np.fromiter(map(function, x.ravel().tolist()), np.float64, x.size).reshape(x.shape)


def _float_dtype(dtype: Any, op: str) -> np.dtype:
    dtype = get_default_dtype() if dtype is None else as_dtype(dtype, op)
    if dtype not in (np.float32, np.float64):
        raise DTypeError(f"{op}: expected a floating dtype, got {dtype} (float32 or float64)")
    return dtype


def uniform_values(
    shape: tuple[int, ...], dtype: np.dtype, low: float, high: float, generator: Generator
) -> np.ndarray:
    """U(low, high) of `shape` as PyTorch's uniform_ draws it."""
    count = math.prod(shape)
    x = generator._uniform(count, dtype)
    if dtype == np.float32:  # bounds and their difference in float32, the rest in float64
        low, high = np.float32(low), np.float32(high)
    width, low = float(high - low), float(low)
    if dtype == np.float32 or math.frexp(width)[0] == 0.5:
        values = x * width + low  # the product is exact: a fused multiply-add changes nothing
    else:
        values = _fma64(x, width, low)
    return values.astype(dtype).reshape(shape)


def normal_values(
    shape: tuple[int, ...],
    dtype: np.dtype,
    mean: float,
    std: float,
    generator: Generator,
    contiguous: bool = True,
) -> np.ndarray:
    """N(mean, std²) of `shape` as PyTorch's normal_ draws it (see the module docstring)."""
    count = math.prod(shape)
    if count < 16 or not contiguous:
        values = _fma64(generator._normal_pairs(count), float(std), float(mean))
        return values.astype(dtype).reshape(shape)
    values = generator._uniform(count, dtype).astype(dtype)
    blocks = count // 16
    out = np.empty(count, dtype)
    out[: blocks * 16] = _box_muller_blocks(
        values[: blocks * 16].reshape(blocks, 16), dtype
    ).ravel()
    if count % 16:  # the last 16 slots are redrawn and transformed again
        tail = generator._uniform(16, dtype).astype(dtype).reshape(1, 16)
        out[-16:] = _box_muller_blocks(tail, dtype).ravel()
    if std == 1 and mean == 0:
        return out.reshape(shape)
    if dtype == np.float32:
        return _fma(out, std, mean).reshape(shape)
    return _fma64(out, float(std), float(mean)).reshape(shape)


def exponential_values(
    shape: tuple[int, ...], dtype: np.dtype, lambd: float, generator: Generator
) -> np.ndarray:
    """Exp(lambd) of `shape`: -log1p(-x) / lambd from float64 uniforms x, cast to dtype."""
    x = generator._uniform(math.prod(shape), np.dtype(np.float64))
    values = (-1.0 / lambd) * _libm(math.log1p, -x)
    return values.astype(dtype).reshape(shape)


def integer_values(
    shape: tuple[int, ...], dtype: np.dtype, low: int, high: int, generator: Generator
) -> np.ndarray:
    """Integers of [low, high): low + w mod (high - low), w one word or, for a range of 2²⁸
    or more, two joined (as PyTorch does, to keep the modulo bias small)."""
    span = high - low
    count = math.prod(shape)
    if span >= 2**28:
        words = generator._words64(count)
    else:
        words = generator._words(count)
    values = (words % np.uint64(span)).astype(np.int64) + np.int64(low)
    return values.astype(dtype).reshape(shape)


def full_range_values(shape: tuple[int, ...], dtype: np.dtype, generator: Generator) -> np.ndarray:
    """random_() with no bounds: [0, 2^mantissa] for floats, [0, max] for integers."""
    count = math.prod(shape)
    if dtype == np.bool_:
        return (generator._words(count) & np.uint64(1)).astype(np.bool_).reshape(shape)
    if dtype.kind == "f":
        modulus = 2 ** (np.finfo(dtype).nmant + 1) + 1
        words = generator._words64(count) if dtype == np.float64 else generator._words(count)
    else:
        modulus = int(np.iinfo(dtype).max) + 1
        words = generator._words64(count) if dtype == np.int64 else generator._words(count)
    return (words % np.uint64(modulus)).astype(dtype).reshape(shape)


def bernoulli_values(p: Any, shape: tuple[int, ...], generator: Generator) -> np.ndarray:
    """Booleans x < p: x a float64 uniform for a float or float64 p, a float32 one for float32
    probabilities. p broadcasts to `shape`."""
    if isinstance(p, np.ndarray) and p.dtype != np.float64:
        x = generator._uniform(math.prod(shape), np.dtype(np.float32))
    else:
        x = generator._uniform(math.prod(shape), np.dtype(np.float64))
    return x.reshape(shape) < np.broadcast_to(p, shape)


def permutation(n: int, generator: Generator) -> np.ndarray:
    """randperm's order: Fisher-Yates, slot i swapped with slot i + w mod (n - i)."""
    if n >= 2**32 // 20:
        raise NotImplementedError(f"randperm: n={n}; expected n < {2**32 // 20}")
    order = list(range(n))
    if n > 1:
        targets = generator._words(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)
        for i, offset in enumerate(targets.tolist()):
            j = i + offset
            order[i], order[j] = order[j], order[i]
    return np.array(order, np.int64)


# ----- the public functions ---------------------------------------------------------------


def _shape(size: tuple[Any, ...], op: str) -> tuple[int, ...]:
    return sizes(size, op)


def _new(values: np.ndarray, requires_grad: bool = False) -> Tensor:
    return Tensor._wrap(values).requires_grad_(requires_grad)


@named_errors
def rand(
    *size: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values drawn uniformly from [0, 1): rand(2, 3) or rand((2, 3)), PyTorch's values."""
    check_device(device)
    dtype = _float_dtype(dtype, "rand")
    generator = _check_generator(generator, "rand")
    return _new(uniform_values(_shape(size, "rand"), dtype, 0.0, 1.0, generator), requires_grad)


@named_errors
def randn(
    *size: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal values: randn(2, 3) or randn((2, 3)), PyTorch's values."""
    check_device(device)
    dtype = _float_dtype(dtype, "randn")
    generator = _check_generator(generator, "randn")
    return _new(normal_values(_shape(size, "randn"), dtype, 0.0, 1.0, generator), requires_grad)


def _bounds(op: str, args: tuple[Any, ...], low: Any, high: Any, size: Any) -> tuple[int, int, Any]:
    """(low, high, size) from PyTorch's spellings: (high, size), (low, high, size), and any
    of them as keywords."""
    count = len(args)
    args = list(args)
    if size is None and args:
        size = args.pop()
    if high is None and args:
        high = args.pop()
    if low is None:
        low = args.pop() if args else 0
    if args or high is None or size is None:
        raise TypeError(
            f"{op}: got {count} arguments; expected {op}(high, size) or {op}(low, high, size), "
            f"or those as keywords"
        )
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{op}: {name}={value!r}; expected an integer")
    if high <= low:
        raise ValueError(f"{op}: empty range [{low}, {high}); expected low < high")
    return int(low), int(high), size


@named_errors
def randint(
    *bounds_and_size: Any,
    low: int | None = None,
    high: int | None = None,
    size: Any = None,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers drawn uniformly from [low, high): randint(high, size) or randint(low, high,
    size), int64 unless `dtype` says otherwise (PyTorch's arguments and values)."""
    check_device(device)
    low, high, shape = _bounds("randint", bounds_and_size, low, high, size)
    shape = sizes((shape,), "randint")
    dtype = np.dtype(np.int64) if dtype is None else as_dtype(dtype, "randint")
    generator = _check_generator(generator, "randint")
    return _new(integer_values(shape, dtype, low, high, generator), requires_grad)


@named_errors
def randperm(
    n: int,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A random order of 0..n-1 (int64), PyTorch's for the same generator state."""
    check_device(device)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n={n!r}; expected a non-negative integer")
    dtype = np.dtype(np.int64) if dtype is None else as_dtype(dtype, "randperm")
    generator = _check_generator(generator, "randperm")
    return _new(permutation(int(n), generator).astype(dtype), requires_grad)


def _like(op: str, input: Any, dtype: Any) -> tuple[tuple[int, ...], Any]:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input is a {type(input).__name__}; expected a Tensor")
    return input.shape, input.dtype if dtype is None else dtype


@named_errors
def rand_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """rand of input's shape and dtype."""
    shape, dtype = _like("rand_like", input, dtype)
    return rand(shape, dtype=dtype, device=device, requires_grad=requires_grad)


@named_errors
def randn_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """randn of input's shape and dtype."""
    shape, dtype = _like("randn_like", input, dtype)
    return randn(shape, dtype=dtype, device=device, requires_grad=requires_grad)


@named_errors
def randint_like(
    input: Tensor,
    low: int = 0,
    high: int | None = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """randint of input's shape and dtype: randint_like(x, high) or randint_like(x, low, high)."""
    shape, dtype = _like("randint_like", input, dtype)
    if high is None:
        low, high = 0, low
    return randint(low, high, shape, dtype=dtype, device=device, requires_grad=requires_grad)


def _array(x: Any) -> np.ndarray:
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


@named_errors
def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: Any = None,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal values: normal(mean, std, size) with numbers, or normal(mean, std) with a Tensor
    mean and/or std (one value per element of their broadcast shape), as PyTorch draws them."""
    check_device(device)
    generator = _check_generator(generator, "normal")
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal: with a number mean and std, expected a size")
        shape = sizes((size,), "normal")
        dtype = _float_dtype(dtype, "normal")
        return _new(normal_values(shape, dtype, float(mean), float(std), generator), requires_grad)
    if size is not None:
        raise TypeError("normal: size is only for a number mean and std; got a Tensor")
    mean_a, std_a = _array(mean), _array(std)
    if (std_a < 0).any():
        raise ValueError("normal: std has negative values; expected std >= 0")
    tensor_dtype = (mean if isinstance(mean, Tensor) else std).dtype
    dtype = _float_dtype(tensor_dtype if dtype is None else dtype, "normal")
    try:
        shape = np.broadcast_shapes(mean_a.shape, std_a.shape)
    except ValueError:
        raise ShapeError(
            f"normal: mean of shape {mean_a.shape} and std of shape {std_a.shape} do not broadcast"
        ) from None
    if isinstance(std, Tensor):  # PyTorch draws N(0, 1), then scales and shifts
        values = normal_values(shape, dtype, 0.0, 1.0, generator)
        values = values * std_a.astype(dtype) + mean_a.astype(dtype)
    else:
        values = normal_values(shape, dtype, 0.0, float(std), generator) + mean_a.astype(dtype)
    return _new(values.astype(dtype), requires_grad)


def bernoulli(input: Any, p: float | None = None, *, generator: Generator | None = None) -> Tensor:
    """1 with probability input (elementwise), else 0, in input's dtype; with p, every element
    has probability p."""
    generator = _check_generator(generator, "bernoulli")
    probabilities = _array(input)
    if p is not None:
        return _new(
            bernoulli_values(float(p), probabilities.shape, generator).astype(probabilities.dtype)
        )
    if probabilities.dtype.kind != "f":
        raise DTypeError(
            f"bernoulli: probabilities of dtype {probabilities.dtype}; expected floats"
        )
    if ((probabilities < 0) | (probabilities > 1)).any():
        raise ValueError("bernoulli: expected probabilities in [0, 1]")
    values = bernoulli_values(probabilities, probabilities.shape, generator)
    return _new(values.astype(probabilities.dtype))


def multinomial(
    input: Any,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Indices drawn from the categories of each row of `input` (non-negative weights, need
    not sum to 1), PyTorch's draws: int64 of shape (num_samples,) or (rows, num_samples)."""
    generator = _check_generator(generator, "multinomial")
    weights = _array(input)
    if weights.ndim not in (1, 2) or weights.shape[-1] == 0:
        raise ShapeError(
            f"multinomial: input of shape {weights.shape}; expected 1 or 2 dims with at least "
            f"one category"
        )
    if weights.dtype.kind != "f":
        raise DTypeError(f"multinomial: input of dtype {weights.dtype}; expected floats")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError(f"multinomial: num_samples={num_samples!r}; expected an integer")
    if num_samples <= 0:
        raise ValueError(f"multinomial: num_samples={num_samples}; expected a positive number")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("multinomial: expected finite, non-negative weights")
    rows = weights.reshape(-1, weights.shape[-1])
    if (rows.sum(axis=1) <= 0).any():
        raise ValueError("multinomial: a row of weights sums to 0; expected a positive sum")
    categories = rows.shape[1]
    if not replacement and num_samples > categories:
        raise ValueError(
            f"multinomial: num_samples={num_samples} > {categories} categories; expected at "
            f"most as many samples as categories without replacement"
        )
    if not replacement or num_samples == 1:
        if not replacement and ((rows > 0).sum(axis=1) < num_samples).any():
            raise ValueError(
                f"multinomial: fewer than {num_samples} categories of non-zero weight; "
                f"expected enough to draw without replacement"
            )
        # Weights over Exp(1) noise: the largest k are a draw without replacement.
        noise = exponential_values(rows.shape, rows.dtype, 1.0, generator)
        keys = rows / noise
        if num_samples == 1:
            out = np.argmax(keys, axis=1)[:, None]
        else:
            out = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    else:
        out = np.empty((rows.shape[0], num_samples), np.int64)
        for r, row in enumerate(rows):
            cumulative = np.cumsum(row)  # sequential, in the weights' dtype
            cumulative /= cumulative[-1]
            cumulative[-1] = 1
            x = generator._uniform(num_samples, np.dtype(np.float64))
            out[r] = np.searchsorted(cumulative.astype(np.float64), x, side="left")
    return _new(out.astype(np.int64).reshape(weights.shape[:-1] + (num_samples,)))


# ----- in-place fills: the Tensor methods uniform_, normal_, ... ----------------------------


def _memory_order(tensor: Tensor) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """The tensor's shape with its dims in memory order (largest stride first), and the
    permutation that puts values of that shape back in place; None for a C-contiguous tensor.
    PyTorch fills a non-contiguous tensor (a transposed view) in memory order."""
    array = tensor.numpy()
    if array.flags.c_contiguous:
        return tensor.shape, None
    dims = sorted(range(array.ndim), key=lambda d: -abs(array.strides[d]))
    return tuple(array.shape[d] for d in dims), tuple(int(d) for d in np.argsort(dims))


def _fill(tensor: Tensor, make: Callable[[tuple[int, ...]], np.ndarray]) -> Tensor:
    """Fill `tensor` in place with make(shape), drawn in the tensor's memory order."""
    shape, back = _memory_order(tensor)
    values = make(shape)
    return tensor.copy_(values if back is None else values.transpose(back))


def _tensor_float_dtype(tensor: Tensor, op: str) -> np.dtype:
    if tensor.dtype not in (np.float32, np.float64):
        raise DTypeError(f"{op}: a tensor of dtype {tensor.dtype}; expected float32 or float64")
    return tensor.dtype


def uniform_(
    self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    """Fill with U(a, b) in place (PyTorch's Tensor.uniform_(from, to))."""
    dtype = _tensor_float_dtype(self, "uniform_")
    generator = _check_generator(generator, "uniform_")
    return _fill(self, lambda shape: uniform_values(shape, dtype, a, b, generator))


def normal_(
    self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    """Fill with N(mean, std²) in place."""
    dtype = _tensor_float_dtype(self, "normal_")
    if std < 0:
        raise ValueError(f"normal_: std={std}; expected std >= 0")
    generator = _check_generator(generator, "normal_")
    contiguous = self.numpy().flags.c_contiguous
    return _fill(self, lambda shape: normal_values(shape, dtype, mean, std, generator, contiguous))


def random_(
    self: Tensor,
    low: int = 0,
    high: int | None = None,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Fill with integers of [low, high) in place; random_(high) is [0, high); random_()
    spans the dtype's exactly representable integers."""
    generator = _check_generator(generator, "random_")
    if high is None and low == 0:
        return _fill(self, lambda shape: full_range_values(shape, self.dtype, generator))
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"random_: empty range [{low}, {high}); expected low < high")
    return _fill(self, lambda shape: integer_values(shape, self.dtype, low, high, generator))


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with Exp(lambd) values in place."""
    dtype = _tensor_float_dtype(self, "exponential_")
    if not lambd > 0:
        raise ValueError(f"exponential_: lambd={lambd}; expected lambd > 0")
    generator = _check_generator(generator, "exponential_")
    return _fill(self, lambda shape: exponential_values(shape, dtype, lambd, generator))


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Generator | None = None) -> Tensor:
    """Fill with 1 with probability p (a number, or a tensor broadcast to self), else 0."""
    generator = _check_generator(generator, "bernoulli_")
    if not isinstance(p, (Tensor, np.ndarray)):
        return _fill(self, lambda shape: bernoulli_values(float(p), shape, generator))
    probabilities = np.broadcast_to(_array(p), self.shape)
    _, back = _memory_order(self)
    if back is not None:  # the probabilities in the order the values are drawn
        probabilities = probabilities.transpose(np.argsort(back))
    return _fill(self, lambda shape: bernoulli_values(probabilities, shape, generator))


# The in-place fills as Tensor methods (multinomial and bernoulli come from the op table).
for _name, _method in (
    ("uniform_", uniform_),
    ("normal_", normal_),
    ("random_", random_),
    ("exponential_", exponential_),
    ("bernoulli_", bernoulli_),
):
    setattr(Tensor, _name, _method)
