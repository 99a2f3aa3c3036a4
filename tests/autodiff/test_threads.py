"""set_num_threads / get_num_threads: the BLAS thread pool as PyTorch's names set it."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import autodiff as ad


@pytest.fixture(autouse=True)
def restore_thread_limits():
    with threadpool_limits(limits=None):  # puts every pool back as it was on exit
        yield


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_set_num_threads_limits_numpys_blas():
    ad.set_num_threads(1)
    assert blas_threads() and set(blas_threads()) == {1}
    assert ad.get_num_threads() == 1
    a = np.random.default_rng(0).standard_normal((64, 64))
    x = ad.Tensor(a, requires_grad=True)
    (x @ x).sum().backward()  # still computes, on one thread
    # d sum(x @ x) / dx_ij = (row sum j of x) + (column sum i of x)
    np.testing.assert_allclose(x.grad.numpy(), a.sum(axis=1)[None, :] + a.sum(axis=0)[:, None])


def test_set_num_threads_can_raise_the_limit_again():
    ad.set_num_threads(1)
    ad.set_num_threads(3)
    assert set(blas_threads()) == {3}
    assert ad.get_num_threads() == 3


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (0, ValueError, "at least one thread is needed; expected a positive integer, got n=0"),
        (-1, ValueError, "at least one thread .*, got n=-1"),
        (1.5, TypeError, "n=1.5 is a float; expected a positive integer"),
        (True, TypeError, "n=True is a bool; expected a positive integer"),
        ("2", TypeError, "n='2' is a str; expected a positive integer"),
    ],
)
def test_set_num_threads_refuses_anything_but_a_positive_integer(bad, error, message):
    before = ad.get_num_threads()
    with pytest.raises(error, match=f"set_num_threads: {message}"):
        ad.set_num_threads(bad)
    assert ad.get_num_threads() == before
