"""Dtypes print as PyTorch's (`autodiff.float32` where PyTorch shows `torch.float32`), while
numpy still takes them, and they still equal numpy's dtypes, scalar types and names."""

import copy
import pickle

import numpy as np
import pytest

import autodiff
import nn

NAMES = [
    ("float16", np.float16),
    ("float32", np.float32),
    ("float64", np.float64),
    ("complex64", np.complex64),
    ("complex128", np.complex128),
    ("uint8", np.uint8),
    ("int8", np.int8),
    ("int16", np.int16),
    ("int32", np.int32),
    ("int64", np.int64),
    ("bool", np.bool_),
]


@pytest.mark.parametrize("name, scalar", NAMES)
def test_a_dtype_prints_with_the_library_name_as_pytorchs_does(name, scalar):
    dtype = getattr(autodiff, name)
    assert str(dtype) == repr(dtype) == f"{dtype!s}" == f"autodiff.{name}"
    assert f"{dtype}" == f"{np.dtype(scalar)}"  # an f-string (error messages) shows numpy's
    assert str(autodiff.zeros(2, dtype=scalar).dtype) == f"autodiff.{name}"


def test_pytorchs_other_names_are_the_same_objects():
    assert autodiff.float is autodiff.float32 and autodiff.double is autodiff.float64
    assert autodiff.long is autodiff.int64 and autodiff.int is autodiff.int32
    assert autodiff.half is autodiff.float16 and autodiff.short is autodiff.int16
    assert autodiff.tensor([1.0]).dtype is autodiff.float32
    assert autodiff.tensor([1]).dtype is autodiff.long
    assert str(autodiff.get_default_dtype()) == "autodiff.float32"


def test_print_shows_the_dtype_as_pytorch_does(capsys):
    print(autodiff.tensor([1.0]).dtype, autodiff.float64)
    assert capsys.readouterr().out == "autodiff.float32 autodiff.float64\n"


@pytest.mark.parametrize(
    "make, text",
    [
        (lambda: autodiff.tensor([1, 2], dtype=autodiff.int32), "dtype=autodiff.int32)"),
        (lambda: autodiff.tensor([1.5], dtype=np.float64), "dtype=autodiff.float64)"),
        (lambda: autodiff.zeros(0, dtype=autodiff.int64), "dtype=autodiff.int64)"),
    ],
)
def test_a_tensor_of_another_dtype_names_it_in_its_repr(make, text):
    assert repr(make()).endswith(text)


@pytest.mark.parametrize("name, scalar", NAMES)
def test_a_dtype_equals_and_hashes_as_numpys_forms(name, scalar):
    ours = getattr(autodiff, name)
    numpys = np.dtype(scalar)
    assert ours == numpys and numpys == ours and ours == scalar and scalar == ours
    assert ours == numpys.name and numpys.name == ours
    assert not (ours != numpys) and not (ours != scalar)
    assert hash(ours) == hash(numpys)
    assert {numpys: "found"}[ours] == "found" and {ours: "found"}[numpys] == "found"
    assert ours in {numpys} and numpys in {ours} and ours in (scalar,)
    other = autodiff.int8 if name != "int8" else autodiff.uint8
    assert ours != other and ours != np.dtype(other) and ours != None  # noqa: E711
    assert ours != "torch.float32" and ours != 3


def test_numpy_takes_them_as_dtypes():
    dtype = autodiff.tensor([1, 2], dtype=autodiff.int16).dtype
    assert np.dtype(dtype) == np.int16 and type(np.dtype(dtype)) is type(np.dtype(np.int16))
    assert np.zeros(3, dtype=dtype).dtype == np.int16
    assert np.arange(3.0).astype(autodiff.float32).dtype == np.float32
    assert np.asarray([1, 2], autodiff.uint8).dtype == np.uint8
    assert np.result_type(autodiff.int8, np.float32) == np.float32
    assert np.issubdtype(autodiff.float16, np.floating)
    assert np.finfo(autodiff.float32).eps == np.finfo(np.float32).eps


def test_numpys_attributes_and_pytorchs_flags():
    assert (autodiff.float64.kind, autodiff.float64.itemsize, autodiff.float64.char) == (
        "f",
        8,
        "d",
    )
    assert autodiff.int32.name == "int32" and autodiff.int32.type is np.int32
    assert autodiff.float16.is_floating_point and not autodiff.int64.is_floating_point
    assert autodiff.complex64.is_complex and not autodiff.float32.is_complex
    assert autodiff.int8.is_signed and not autodiff.uint8.is_signed
    with pytest.raises(AttributeError):
        autodiff.float32.kind = "i"


def test_a_dtype_pickles_and_copies_as_the_same_object():
    for dtype in (autodiff.float32, autodiff.bool, autodiff.int64):
        assert pickle.loads(pickle.dumps(dtype)) is dtype
        assert copy.copy(dtype) is dtype and copy.deepcopy(dtype) is dtype


@pytest.mark.parametrize("dtype", [autodiff.float64, np.float64, np.dtype("float64"), "float64"])
def test_every_dtype_argument_takes_both_kinds(dtype, tmp_path):
    x = autodiff.tensor([1.0, 2.0])
    for made in (
        x.to(dtype),
        x.type(dtype if dtype != "float64" else "torch.DoubleTensor"),  # PyTorch's strings
        x.astype(dtype),
        autodiff.tensor([1, 2], dtype=dtype),
        autodiff.zeros(2, dtype=dtype),
        autodiff.arange(2, dtype=dtype),
    ):
        assert made.dtype is autodiff.float64
    layer = nn.Linear(2, 1).to(dtype=dtype)
    assert layer.weight.dtype is autodiff.float64
    autodiff.save({"w": layer.weight}, tmp_path / "w.npz")
    assert autodiff.load(tmp_path / "w.npz")["w"].dtype == autodiff.float64


def test_the_default_dtype_takes_both_kinds_and_returns_ours():
    try:
        autodiff.set_default_dtype(autodiff.float64)
        assert autodiff.get_default_dtype() is autodiff.float64
        assert autodiff.tensor([1.5]).dtype is autodiff.float64
        autodiff.set_default_dtype(np.float32)
        assert autodiff.get_default_dtype() is autodiff.float32
    finally:
        autodiff.set_default_dtype(autodiff.float32)


def test_the_names_match_pytorchs_after_the_library_name():
    torch = pytest.importorskip("torch")
    for name, _ in NAMES:
        assert str(getattr(autodiff, name)).removeprefix("autodiff.") == str(
            getattr(torch, name)
        ).removeprefix("torch.")
    assert repr(autodiff.tensor([1, 2], dtype=autodiff.int32)).removeprefix("Tensor").replace(
        "autodiff.", "torch."
    ) == repr(torch.tensor([1, 2], dtype=torch.int32)).removeprefix("tensor")
