"""The op table drives every surface: each entry is reachable wherever it says, with a
generated signature and docstring; in-place forms change the tensor itself; a new op is one
declaration.
"""

import inspect

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F
from autodiff import surfaces
from autodiff.optable import FLOAT, REDUCE, TABLE, Op
from autodiff.primitive import Primitive

NAMESPACES = {
    "Tensor": ad.Tensor,
    "autodiff": ad,
    "autodiff.numpy": ad.numpy,
    "nn.functional": F,
    "nn": nn,
}


def declared() -> list[tuple[str, str, Op]]:
    """(surface, name, entry) for every name every entry declares."""
    found = []
    for op in TABLE:
        for name in (op.name, *op.aliases):
            if op.method:
                found.append(("Tensor", name, op))
                if op.inplace:
                    found.append(("Tensor", f"{name}_", op))
            if op.function:
                found.append(("autodiff", name, op))
        if op.functional:
            found.append(("nn.functional", op.name, op))
        if op.module:
            found.append(("nn", op.module, op))
        if callable(op.numpy):
            found.append(("autodiff.numpy", op.numpy.__name__, op))
        elif op.numpy:
            for name in (op.numpy,) if isinstance(op.numpy, str) else op.numpy:
                found.append(("autodiff.numpy", name, op))
    return found


DECLARED = declared()


@pytest.mark.parametrize("surface, name, op", DECLARED, ids=[f"{s}.{n}" for s, n, _ in DECLARED])
def test_every_entry_is_reachable_with_a_signature_and_a_docstring(surface, name, op):
    value = getattr(NAMESPACES[surface], name)
    made = surfaces.ops_for(surface)[name]
    found = value.function if surface == "nn" else value
    assert getattr(found, "_made", found) is made  # or nn.functional's extension of it
    if op.property:
        assert isinstance(value, property)
        value = value.fget
    assert inspect.signature(value) is not None
    assert (value.__doc__ or "").strip(), f"{surface}.{name} has no docstring"
    if surface == "nn":
        assert issubclass(value, nn.Module) and value.__name__ == name
        return
    assert value.__name__ == name
    if hasattr(value, "_made"):  # nn.functional's extension of the generated function
        value = value._made
    if not (surface == "autodiff.numpy" and callable(op.numpy)):  # numpy's own meaning
        assert value.__code__.co_filename == f"<optable: {surface}>"  # generated


def test_generated_signatures_spell_each_library_its_own_way():
    def names(fn):
        return list(inspect.signature(fn).parameters)

    assert names(ad.Tensor.sum) == ["self", "dim", "keepdim", "dtype", "axis", "keepdims"]
    assert names(ad.sum) == ["input", "dim", "keepdim", "dtype", "axis", "keepdims"]
    assert names(ad.numpy.sum) == ["a", "axis", "dtype", "keepdims", "dim", "keepdim"]
    assert names(ad.Tensor.var)[:4] == ["self", "dim", "unbiased", "keepdim"]
    assert names(ad.numpy.clip) == ["a", "a_min", "a_max"]
    assert names(ad.numpy.maximum) == ["x1", "x2"]
    assert names(F.leaky_relu) == ["input", "negative_slope", "inplace"]  # extends the entry
    assert inspect.signature(ad.leaky_relu).parameters["negative_slope"].default == 0.01
    assert names(ad.Tensor.float) == ["self"]  # dtype is fixed by the entry
    assert names(nn.LeakyReLU) == ["negative_slope", "inplace"]


def test_each_surface_is_exported_by_its_namespace():
    for name in surfaces.ops_for("autodiff"):
        assert name in ad.__all__
    for name in surfaces.ops_for("autodiff.numpy"):
        assert name in ad.numpy.__all__
    for name in surfaces.ops_for("nn"):
        assert name in nn.__all__


def test_tracebacks_show_the_generated_line():
    with pytest.raises(ad.ShapeError) as info:
        ad.Tensor(np.ones((2, 3))).sum(dim=5)
    lines = [str(e.statement).strip() for e in info.traceback if "<optable: Tensor>" in str(e)]
    assert "return _impl_sum(self, axis=axis, keepdims=keepdims, dtype=dtype)" in lines


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sigmoid", "tanh", "abs", "relu"])
def test_inplace_form_changes_the_tensor_itself(name):
    values = np.array([0.5, 1.5, -2.0]) if name not in ("log", "sqrt") else np.array([0.5, 2.0])
    x = ad.tensor(values)
    array = x.numpy()
    assert getattr(x, f"{name}_")() is x
    assert x.numpy() is array
    np.testing.assert_allclose(x.numpy(), getattr(ad.tensor(values), name)().numpy())


def test_inplace_clamp_takes_the_arguments_of_clamp():
    x = ad.tensor([-2.0, 0.5, 3.0])
    x.clamp_(min=-1.0, max=1.0)
    np.testing.assert_array_equal(x.numpy(), [-1.0, 0.5, 1.0])
    x.clip_(0.0, 0.25)
    np.testing.assert_array_equal(x.numpy(), [0.0, 0.25, 0.25])


def test_inplace_form_refuses_a_tensor_that_requires_grad_outside_no_grad():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ad.GradientError, match="exp_"):
        w.exp_()
    with ad.no_grad():
        w.exp_()
    np.testing.assert_allclose(w.numpy(), np.exp([1.0, 2.0]).astype(np.float32))


def test_inplace_form_of_a_float_op_refuses_an_integer_tensor():
    x = ad.tensor([1, 2])
    with pytest.raises(ad.DTypeError, match="exp_: cannot store the float32 result in place"):
        x.exp_()
    np.testing.assert_array_equal(x.numpy(), [1, 2])


def test_inplace_change_after_an_op_saved_the_tensor_makes_backward_refuse():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    z = (y * y).sum()
    with ad.no_grad():
        y.exp_()
    with pytest.raises(ad.GradientError):
        z.backward()


def cube_forward(x):
    """out = x**3."""
    return x**3, None


cube = Primitive(cube_forward, [])  # as @primitive makes it, left out of the global registry


@cube.defvjp
def cube_vjp(ctx, g):
    """gx = 3 x² g."""
    (x,) = ctx.inputs
    return (3 * x * x * g,)


def test_a_new_op_is_one_declaration():
    made = surfaces.build(
        [Op("cube", cube, "x**3, elementwise.", dtype=FLOAT, numpy="cube", inplace=True,
            functional=True, module="Cube")]
    )  # fmt: skip
    assert set(made["Tensor"]) == {"cube", "cube_"}
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    made["Tensor"]["cube"](x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    np.testing.assert_allclose(made["autodiff"]["cube"]([2.0]).numpy(), [8.0])
    assert made["autodiff.numpy"]["cube"]([2]).dtype == np.float64  # numpy's float for ints
    assert made["autodiff"]["cube"]([2]).dtype == np.float32  # PyTorch's default float
    np.testing.assert_allclose(made["nn.functional"]["cube"](ad.tensor([3.0])).numpy(), [27.0])
    assert made["nn"]["Cube"] is made["nn.functional"]["cube"]
    y = ad.tensor([2.0])
    made["Tensor"]["cube_"](y)
    np.testing.assert_allclose(y.numpy(), [8.0])


def test_a_reduction_declared_with_reduce_takes_both_spellings():
    made = surfaces.build([Op("total", ad.ops.reduce.sum, "The sum.", REDUCE, numpy="total")])
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]])
    torch_total, numpy_total = made["autodiff"]["total"], made["autodiff.numpy"]["total"]
    np.testing.assert_array_equal(torch_total(x, 1, keepdim=True).numpy(), [[3.0], [7.0]])
    np.testing.assert_array_equal(torch_total(x, axis=0).numpy(), [4.0, 6.0])
    np.testing.assert_array_equal(numpy_total(x, 0).numpy(), [4.0, 6.0])
    np.testing.assert_array_equal(numpy_total(x, dim=1, keepdim=True).numpy(), [[3.0], [7.0]])


def test_a_name_declared_twice_in_one_surface_is_refused():
    twice = [Op("exp", ad.ops.unary.exp, "e**x."), Op("exp", ad.ops.unary.exp, "e**x.")]
    with pytest.raises(TypeError, match="Tensor.exp is declared twice"):
        surfaces.build(twice)


def test_a_primitive_entry_without_a_docstring_is_refused():
    with pytest.raises(TypeError, match="nameless has no docstring"):
        surfaces.build([Op("nameless", ad.ops.unary.exp)])
