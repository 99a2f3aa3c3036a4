"""Every registered primitive, gradchecked in float64 on its registered samples."""

import math
import types
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.primitive import registry

CASES = [
    pytest.param(prim, k, id=f"{name}-{k}")
    for name, prim in sorted(registry.items())
    for k in range(len(prim.samples))
]


def _inputs(sample, rng):
    low, high = sample.domain
    tensors = []
    for spec in sample.inputs:
        if isinstance(spec, tuple):
            tensors.append(ad.Tensor(rng.uniform(low, high, spec), requires_grad=True))
        else:
            tensors.append(spec)
    return tensors


def test_every_primitive_has_samples_and_a_vjp():
    missing = [name for name, prim in registry.items() if not prim.samples or prim.vjp is None]
    assert missing == []


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("prim, k", CASES)
def test_primitive_matches_finite_differences(prim, k, seed):
    sample = prim.samples[k]
    rng = np.random.default_rng(seed)
    inputs = _inputs(sample, rng)
    assert ad.gradcheck(lambda *xs: prim(*xs, **sample.params), inputs)


@pytest.mark.parametrize("prim, k", CASES)
def test_primitive_second_derivative_matches_finite_differences(prim, k):
    """create_graph runs the same VJP on Tensors: its gradient must be right too."""
    sample = prim.samples[k]
    rng = np.random.default_rng(2)
    inputs = _inputs(sample, rng)
    out_shape = prim(*inputs, **sample.params).shape
    weights = rng.standard_normal(out_shape)

    def first_gradient_norm(*xs):
        out = prim(*xs, **sample.params)
        wrt = [x for x in xs if isinstance(x, ad.Tensor)]
        grads = ad.vjp(lambda *w: prim(*_merge(xs, w), **sample.params), *wrt)[1](weights)
        total = (out * 0).sum()
        for g in grads:
            total = total + (g * g).sum()
        return total

    assert ad.gradcheck(first_gradient_norm, inputs)


def _merge(xs, tensors):
    """xs with its Tensors replaced, in order, by `tensors`."""
    it = iter(tensors)
    return [next(it) if isinstance(x, ad.Tensor) else x for x in xs]


def _unregistered(prim):
    """`prim` taken out of the registry, so the generic tests above see real primitives only."""
    del registry[prim.name]
    return prim


def test_a_user_primitive_gets_its_inputs_and_output_and_exact_second_derivatives():
    @_unregistered
    @ad.primitive(samples=[ad.Sample((3,))])
    def square(x):
        """out = x²."""
        return x * x, None

    @square.defvjp
    def square_vjp(ctx, g):
        """gx = 2 x g."""
        (x,) = ctx.inputs
        return (2 * x * g,)

    x = np.array([1.0, -2.0, 3.0])
    hessian = ad.hessian(lambda x: square(x).sum())(x)
    np.testing.assert_array_equal(hessian.numpy(), 2 * np.eye(3))


def test_defvjp_refuses_the_older_form_of_saved_and_g():
    @_unregistered
    @ad.primitive(samples=[ad.Sample((3,))])
    def square(x):
        return x * x, 2 * x

    with pytest.raises(TypeError, match=r"square.defvjp: .* takes \(saved, g\); .* vjp\(ctx, g\)"):
        square.defvjp(lambda saved, g: (saved * g,))


def test_defvjp_refuses_a_vjp_of_another_signature():
    @_unregistered
    @ad.primitive(samples=[ad.Sample((3,))])
    def double(x):
        return 2 * x, None

    with pytest.raises(TypeError, match=r"double.defvjp: .* cannot be called as vjp\(ctx, g\)"):
        double.defvjp(lambda inputs, out, g, needs, saved, params: (2 * g,))


def _cube_saving(pack, unpack):
    """x³, whose forward saves its derivative 3x² (packed by `pack`) for the VJP."""

    @_unregistered
    @ad.primitive(samples=[ad.Sample((3,))])
    def cube(x):
        return x**3, pack(3 * x * x)

    @cube.defvjp
    def cube_vjp(ctx, g):
        return (g * unpack(ctx.saved),)

    return cube


class _Holder:
    __slots__ = ("derivative",)

    def __init__(self, derivative):
        self.derivative = derivative


@pytest.mark.parametrize(
    "pack, unpack",
    [
        (lambda d: d, lambda saved: saved),
        (lambda d: ((3,), [d]), lambda saved: saved[1][0]),
        (lambda d: {"derivative": d}, lambda saved: saved["derivative"]),
        (lambda d: types.SimpleNamespace(derivative=d), lambda saved: saved.derivative),
        (lambda d: _Holder(d), lambda saved: saved.derivative),
        (lambda d: float(d[0]), lambda saved: saved),
    ],
    ids=["array", "nested-list", "dict", "object", "slots", "float"],
)
def test_a_vjp_reading_a_saved_derived_value_refuses_create_graph(pack, unpack):
    """Its Hessian would silently come out 0: the saved 3x² is an array, not a Tensor.
    First derivatives are right, and a plain backward runs."""
    cube = _cube_saving(pack, unpack)
    x = ad.Tensor(np.array([0.3, -0.7, 1.1]), requires_grad=True)
    cube(x[:1]).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 * 0.09, 0, 0])
    with pytest.raises(
        ad.GradientError, match=r"cube: under create_graph its VJP read `ctx.saved`.*constant"
    ):
        ad.hessian(lambda x: cube(x[:1]).sum())(np.array([0.3, -0.7, 1.1]))


def test_a_forward_returning_its_output_as_saved_refuses_create_graph():
    """y = exp(x) saved as well as returned: reading it from saved would make the Hessian 0."""

    @_unregistered
    @ad.primitive(samples=[ad.Sample((3,))])
    def exp_twice(x):
        y = np.exp(x)
        return y, y

    @exp_twice.defvjp
    def exp_twice_vjp(ctx, g):
        return (g * ctx.saved,)

    x = np.array([0.3, -0.7, 1.1])
    with pytest.raises(ad.GradientError, match=r"exp_twice: under create_graph"):
        ad.hessian(lambda x: exp_twice(x).sum())(x)
    gradient = ad.grad(lambda x: exp_twice(x).sum())(x)  # first derivatives: right
    np.testing.assert_allclose(gradient.numpy(), np.exp(x))


def test_a_saved_value_marked_constant_gives_exact_second_derivatives():
    @_unregistered
    @ad.primitive(samples=[ad.Sample((3,))])
    def scaled_abs(x):
        """out = 3|x|; the VJP's weight 3 sign(x) is piecewise constant."""
        return 3 * np.abs(x), ad.constant(3 * np.sign(x))

    @scaled_abs.defvjp
    def scaled_abs_vjp(ctx, g):
        return (g * ctx.saved,)

    x = np.array([0.3, -0.7, 1.1])
    hessian = ad.hessian(lambda x: (scaled_abs(x) ** 2).sum())(x)
    np.testing.assert_allclose(hessian.numpy(), 18 * np.eye(3))  # d²/dx² 9x² = 18


@pytest.mark.parametrize(
    "convert",
    [
        lambda x: np.asarray(x),
        lambda x: float(x[0]),
        lambda x: int(x[0]),
        lambda x: x[0].item(),
        lambda x: x.tolist()[0],
    ],
    ids=["asarray", "float", "int", "item", "tolist"],
)
def test_a_vjp_that_turns_its_inputs_into_values_refuses_create_graph(convert):
    """float(x[0]) of the recorded input would make the Hessian silently 0."""

    @_unregistered
    @ad.primitive(samples=[ad.Sample((1,))])
    def square(x):
        return x * x, None

    @square.defvjp
    def square_vjp(ctx, g):
        (x,) = ctx.inputs
        return (g * 2 * convert(x),)

    x = ad.Tensor(np.array([2.0]), requires_grad=True)
    square(x).sum().backward()  # a plain backward hands the VJP arrays: fine
    assert x.grad.tolist() == [4.0]
    with pytest.raises(ad.GradientError, match=r"square: its VJP turned a recorded Tensor"):
        ad.hessian(lambda x: square(x).sum())(np.array([2.0]))
    assert np.asarray(x).shape == (1,) and float(x[0]) == 2.0  # outside a VJP: as before


def test_a_vjp_that_saved_only_constants_gives_second_derivatives():
    @_unregistered
    @ad.primitive(samples=[ad.Sample((3,))])
    def tripled(x):
        """out = 3x; the VJP needs only the shape."""
        return 3 * x, {"shape": x.shape, "axes": [0], "kind": "int", "index": np.arange(2)}

    @tripled.defvjp
    def tripled_vjp(ctx, g):
        return (3 * g.reshape(ctx.saved["shape"]),)

    hessian = ad.hessian(lambda x: (tripled(x) * tripled(x)).sum())(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(hessian.numpy(), 18 * np.eye(2))  # d²/dx² (3x)² = 18


def test_a_vjp_that_leaves_the_graph_under_create_graph_is_refused():
    @_unregistered
    @ad.primitive(samples=[ad.Sample((3,))])
    def tripled(x):
        return 3 * x, None

    @tripled.defvjp
    def tripled_vjp(ctx, g):
        return (np.asarray(g) * 3,)  # numpy computes: nothing is recorded

    x = ad.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(ad.GradientError, match="tripled: under create_graph the VJP returned"):
        tripled(x).sum().backward(create_graph=True)


def test_a_second_primitive_of_a_registered_name_is_refused():
    with pytest.raises(ValueError, match=r"a primitive named 'exp' is already registered"):

        @ad.primitive(samples=[ad.Sample((3,))])
        def exp(x):
            return np.exp(x), None

    assert registry["exp"] is ad.exp or registry["exp"].forward.__module__ == "autodiff.ops.unary"


def test_the_same_definition_run_again_replaces_itself():
    made = []
    for _ in range(2):

        @ad.primitive(samples=[ad.Sample((3,))])
        def twice(x):
            return 2 * x, None

        made.append(twice)
    assert registry["twice"] is made[1]
    _unregistered(made[1])


def _sigmoid(x):
    """sigmoid(x) with no cancellation or overflow, in plain Python."""
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


EXACT_DERIVATIVES = {  # each written so that float64 evaluates it to a few ulps
    "sigmoid": lambda x: _sigmoid(x) * _sigmoid(-x),
    "log_sigmoid": lambda x: _sigmoid(-x),
    "softplus": _sigmoid,
    "tanh": lambda x: (1 / math.cosh(x)) ** 2 if abs(x) < 710 else 0.0,
    "erf": lambda x: 2 / math.sqrt(math.pi) * math.exp(-x * x),
    "exp": lambda x: math.exp(x) if x < 709 else math.inf,
    "sin": math.cos,
    "cos": lambda x: -math.sin(x),
}
TAILS = [-700.0, -100.0, -30.0, -10.0, -1.0, -1e-8, 0.0, 1e-8, 1.0, 10.0, 30.0, 100.0, 700.0]


@pytest.mark.parametrize("name", sorted(EXACT_DERIVATIVES))
def test_elementwise_vjps_are_exact_to_float64_in_the_tails(name):
    x = ad.Tensor(np.array(TAILS), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no RuntimeWarning escapes backward
        registry[name](x).sum().backward()
    exact = np.array([EXACT_DERIVATIVES[name](v) for v in TAILS])
    np.testing.assert_allclose(x.grad.numpy(), exact, rtol=1e-12, atol=0)


def test_tanh_gradient_keeps_its_subnormal_values_where_cosh_squared_overflows():
    x = ad.Tensor(np.array([-360.0, -356.0, 356.0, 360.0]), requires_grad=True)
    ad.tanh(x).sum().backward()
    exact = 4 * np.exp(-2 * np.abs(x.numpy()))  # sech² x = 4e^(-2|x|) / (1 + e^(-2|x|))², e ≈ 0
    assert (x.grad.numpy() > 0).all()
    np.testing.assert_allclose(x.grad.numpy(), exact, rtol=1e-10, atol=0)


def test_erf_is_exact_to_float64_precision_over_the_real_line():
    x = np.concatenate([np.linspace(-8.0, 8.0, 40001), -np.geomspace(1e-300, 1.0, 300)])
    exact = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(registry["erf"](x), exact, rtol=1e-14, atol=0)
