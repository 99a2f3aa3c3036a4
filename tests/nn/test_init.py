"""Tests of nn.init and nn.manual_seed: bounds and spreads of each initialiser, in place,
from an explicit generator or the global one.
"""

import math

import numpy as np
import pytest

import autodiff
import nn
from nn import init

SHAPE = (300, 200)


def _generator(seed: int) -> autodiff.Generator:
    return autodiff.Generator().manual_seed(seed)  # fan_out 300, fan_in 200: 60000 draws


def param() -> nn.Parameter:
    return nn.Parameter(np.zeros(SHAPE))


@pytest.mark.parametrize(
    ("fill", "std"),
    [
        (lambda p, g: init.xavier_uniform_(p, generator=g), math.sqrt(2 / 500)),
        (lambda p, g: init.xavier_normal_(p, gain=2.0, generator=g), 2 * math.sqrt(2 / 500)),
        (
            lambda p, g: init.kaiming_uniform_(p, nonlinearity="relu", generator=g),
            math.sqrt(2 / 200),
        ),
        (lambda p, g: init.kaiming_normal_(p, generator=g), math.sqrt(2 / 200)),  # a=0: relu gain
        (lambda p, g: init.kaiming_normal_(p, mode="fan_out", generator=g), math.sqrt(2 / 300)),
        (lambda p, g: init.normal_(p, 1.0, 0.5, generator=g), 0.5),
        (lambda p, g: init.uniform_(p, -1.0, 3.0, generator=g), 4 / math.sqrt(12)),
    ],
)
def test_initialiser_fills_in_place_with_the_expected_spread(fill, std):
    p = param()
    assert fill(p, _generator(0)) is p
    np.testing.assert_allclose(p.numpy().std(), std, rtol=0.02)
    assert p.requires_grad and p.is_leaf


def test_uniform_initialisers_stay_within_their_bounds():
    p = init.xavier_uniform_(param(), generator=_generator(1))
    assert np.abs(p.numpy()).max() <= math.sqrt(6 / 500)
    p = init.kaiming_uniform_(param(), a=0.2, generator=_generator(1))
    assert np.abs(p.numpy()).max() <= math.sqrt(3) * init.calculate_gain(
        "leaky_relu", 0.2
    ) / math.sqrt(200)
    p = init.uniform_(param(), 2.0, 3.0, generator=_generator(1))
    assert p.numpy().min() >= 2.0 and p.numpy().max() < 3.0


def test_zeros_and_ones():
    np.testing.assert_array_equal(init.ones_(param()).numpy(), 1.0)
    np.testing.assert_array_equal(init.zeros_(init.ones_(param())).numpy(), 0.0)


def test_an_explicit_generator_repeats_and_the_global_one_follows_manual_seed():
    a = init.normal_(param(), generator=_generator(3))
    b = init.normal_(param(), generator=_generator(3))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    nn.manual_seed(3)
    first = init.xavier_uniform_(param()).numpy().copy()
    second = init.xavier_uniform_(param()).numpy()  # the generator moved on
    nn.manual_seed(3)
    np.testing.assert_array_equal(init.xavier_uniform_(param()).numpy(), first)
    assert not np.array_equal(first, second)


def test_initialisers_keep_the_tensor_dtype():
    p = nn.Parameter(np.zeros((4, 3), np.float32))
    init.kaiming_normal_(p)
    assert p.dtype == np.float32


def test_calculate_gain_matches_pytorchs_table():
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01**2))
    with pytest.raises(ValueError, match="calculate_gain: unknown nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_fans_need_two_dimensions_and_mode_is_checked():
    with pytest.raises(ValueError, match=r"xavier_uniform_: .* got shape \(5,\)"):
        init.xavier_uniform_(nn.Parameter(np.zeros(5)))
    with pytest.raises(ValueError, match="kaiming_normal_: unknown mode 'fan_avg'"):
        init.kaiming_normal_(param(), mode="fan_avg")


def test_manual_seed_rejects_bad_seeds():
    with pytest.raises(ValueError, match=r"manual_seed: seed=18446744073709551616; expected"):
        nn.manual_seed(2**64)
    with pytest.raises(TypeError, match="seed=1.5"):
        nn.manual_seed(1.5)
    assert nn.manual_seed(0) is nn.default_generator


@pytest.mark.parametrize("fill", [init.kaiming_uniform_, init.kaiming_normal_])
@pytest.mark.parametrize("shape", [(3, 0), (0, 3)])
def test_kaiming_leaves_a_zero_element_tensor_with_a_warning_as_pytorch_does(fill, shape):
    tensor = autodiff.zeros(*shape)
    state = autodiff.get_rng_state()
    with pytest.warns(UserWarning, match=f"{fill.__name__}: initializing zero-element tensors"):
        assert fill(tensor) is tensor  # a fan of 0 divides nothing
    assert tensor.shape == shape
    np.testing.assert_array_equal(autodiff.get_rng_state().numpy(), state.numpy())  # no draw
