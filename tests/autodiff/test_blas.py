"""Tests of axpy, the one-pass in-place update that plain SGD makes (autodiff/blas.py)."""

import numpy as np
import pytest

from autodiff import blas

ORDERS = ["C", "F"]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(("dtype", "rtol"), [(np.float32, 1e-6), (np.float64, 1e-15)])
def test_axpy_updates_in_place_as_numpy_does(dtype, rtol, order):
    rng = np.random.default_rng(4)
    x = np.asarray(rng.standard_normal((300, 200)), dtype, order=order)  # large enough for BLAS
    y = np.asarray(rng.standard_normal((300, 200)), dtype, order=order)
    expected = y - 0.1 * x  # numpy's rounding; BLAS may fuse the two into one
    before = y.ctypes.data
    routine = blas._blas_axpy(x, y)
    if blas._AXPY:  # numpy's OpenBLAS was found (see the test below): it runs this update
        assert routine is not None
    blas.axpy(-0.1, x, y)
    assert y.ctypes.data == before and y.dtype == dtype
    np.testing.assert_allclose(y, expected, rtol=rtol, atol=rtol)


def test_axpy_finds_openblas_wherever_numpy_uses_it():
    from threadpoolctl import threadpool_info

    blas.axpy(1.0, np.ones(3), np.ones(3))  # finds the routines once
    if any(info["internal_api"] == "openblas" for info in threadpool_info()):
        assert set(blas._AXPY) == {np.dtype(np.float32), np.dtype(np.float64)}


@pytest.mark.parametrize(
    "case",
    ["mixed order", "strided", "overlapping", "float16", "mixed dtypes", "broadcast", "small"],
)
def test_axpy_where_blas_cannot_gives_numpy_exactly(case):
    rng = np.random.default_rng(5)
    base = rng.standard_normal((400, 200)).astype(np.float32)  # large enough for BLAS
    if case == "mixed order":
        x, y = base.copy(), np.asfortranarray(base + 1)
    elif case == "strided":
        x, y = base[:, ::2], (base + 1)[:, 1::2]
    elif case == "overlapping":  # numpy computes alpha * x before it writes any of y
        y = base.ravel()[1:]
        x = base.ravel()[:-1]
    elif case == "float16":
        x, y = base.astype(np.float16), (base + 1).astype(np.float16)
    elif case == "mixed dtypes":
        x, y = base.astype(np.float64), base + 1
    elif case == "broadcast":
        x, y = base[0], base + 1
    else:  # fewer elements than make a BLAS call pay
        x, y = base[:10], base[:10] + 1
    expected = y.copy()
    expected += -0.1 * x
    blas.axpy(-0.1, x, y)
    np.testing.assert_array_equal(y, expected)


def test_axpy_into_a_read_only_array_raises_as_numpy_does():
    y = np.ones(40_000, np.float32)
    y.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        blas.axpy(0.5, np.ones(40_000, np.float32), y)
    np.testing.assert_array_equal(y, 1.0)


@pytest.mark.parametrize("filepath", ["libc", "/nonexistent/libopenblas.so"])
def test_axpy_without_the_blas_symbols_falls_back_to_numpy(monkeypatch, filepath):
    """A library without cblas_saxpy (here the C library) or one that does not load."""
    import ctypes.util

    import threadpoolctl

    if filepath == "libc":
        filepath = ctypes.util.find_library("c") or "libc.so.6"
    fake = [{"internal_api": "openblas", "filepath": filepath}]
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: fake)
    monkeypatch.setattr(blas, "_AXPY", None)
    x = np.random.default_rng(6).standard_normal(40_000).astype(np.float32)
    y = np.ones(40_000, np.float32)
    expected = y + -0.1 * x
    blas.axpy(-0.1, x, y)
    assert blas._AXPY == {}
    np.testing.assert_array_equal(y, expected)


def test_tensor_add_and_sub_with_alpha_update_in_one_pass_as_numpy_would():
    import autodiff as ad

    rng = np.random.default_rng(0)
    start = rng.standard_normal(50_000).astype(np.float32)  # large enough for BLAS
    g = rng.standard_normal(50_000).astype(np.float32)
    t = ad.Tensor(start)
    buffer = t.numpy()
    t.sub_(ad.Tensor(g), alpha=0.1)
    assert t.numpy() is buffer  # in place
    np.testing.assert_allclose(t.numpy(), start - np.float32(0.1) * g, rtol=1e-6, atol=1e-7)
    t.add_(g, alpha=0.1)
    np.testing.assert_allclose(t.numpy(), start, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("size", [10, 50_000])  # numpy's size and BLAS's
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_axpy_with_alpha_zero_spreads_nan_and_inf_as_numpy_does(size, bad):
    """0 * NaN and 0 * inf are NaN (numpy, PyTorch's add_(x, alpha=0)); BLAS's axpy returns
    at once for alpha 0, which would hide a NaN gradient from SGD with a learning rate of 0."""
    import autodiff as ad

    for dtype in (np.float32, np.float64):
        y = np.ones(size, dtype)
        with np.errstate(invalid="ignore"):  # 0 * inf
            blas.axpy(0.0, np.full(size, bad, dtype), y)
            t = ad.Tensor(np.ones(size, dtype))
            t.sub_(ad.Tensor(np.full(size, bad, dtype)), alpha=0.0)
        assert np.isnan(y).all()
        assert np.isnan(t.numpy()).all()
