"""Tests of Module.save / Module.load and load_state_dict: both file formats, checks made before
any data is read or any value copied, float width casts, and weights moving to and from PyTorch.
"""

import os
import re
import tracemalloc
import zipfile

import numpy as np
import pytest

import autodiff
import nn
from autodiff import Tensor
from nn.module import convert_checked


def small_model(dtype=np.float64) -> nn.Sequential:
    nn.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4, dtype=dtype), nn.ReLU(), nn.Linear(4, 2, dtype=dtype))


def assert_unchanged(model: nn.Module, before: dict) -> None:
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


@pytest.mark.parametrize("name", ["model.safetensors", "model.npz", "model.pt"])
def test_module_save_then_load_in_either_format(tmp_path, name):
    source = small_model()
    nn.manual_seed(5)
    target = nn.Sequential(
        nn.Linear(3, 4, dtype=np.float64), nn.ReLU(), nn.Linear(4, 2, dtype=np.float64)
    )
    source.save(tmp_path / name)
    assert os.listdir(tmp_path) == [name]
    x = np.random.default_rng(1).standard_normal((4, 3))
    assert not np.array_equal(source(x).numpy(), target(x).numpy())
    target.load(tmp_path / name)
    np.testing.assert_array_equal(source(x).numpy(), target(x).numpy())


def test_float64_weights_load_into_a_float32_model(tmp_path):
    small_model(np.float64).save(tmp_path / "w.safetensors")
    model = small_model(np.float32)
    model.load(tmp_path / "w.safetensors")
    assert model[0].weight.dtype == np.float32
    np.testing.assert_allclose(model[0].weight.numpy(), small_model()[0].weight.numpy(), rtol=1e-7)


def test_values_that_overflow_the_target_dtype_are_refused_and_nothing_changes(tmp_path):
    state = small_model(np.float64).state_dict()
    state["2.bias"] = np.array([1e300, 1.0])  # inf in float32
    model = small_model(np.float32)
    for name in model.state_dict():
        state[name] = state[name] + 1
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"'2.bias' holds 1 values that float32 cannot hold"):
        model.load_state_dict(state)
    assert_unchanged(model, before)
    autodiff.save(state, tmp_path / "big.npz")
    with pytest.raises(ValueError, match="float32 cannot hold"):
        model.load(tmp_path / "big.npz")
    assert_unchanged(model, before)


def test_nan_and_inf_already_in_the_source_are_kept():
    model = nn.Linear(2, 1, dtype=np.float32)
    state = {"weight": np.array([[np.nan, np.inf]]), "bias": np.array([-np.inf])}
    model.load_state_dict(state)
    assert np.isnan(model.weight.numpy()[0, 0]) and model.bias.numpy()[0] == -np.inf


@pytest.mark.parametrize(
    ("value", "like", "message"),
    [
        (np.array([300]), np.zeros(1, np.int8), "holds 300..300; expected values within -128..127"),
        (np.array([1.5]), np.zeros(1, np.int64), "has dtype float64; expected int64"),
        (np.array([1 + 2j]), np.zeros(1), "has dtype complex128; expected float64"),
        (np.zeros(2), np.zeros(3), r"has shape \(2,\); expected \(3,\)"),
        ([{"a": 1}], np.zeros(1), "has dtype object"),
    ],
)
def test_convert_checked_names_what_does_not_fit(value, like, message):
    result = convert_checked("key 'x'", value, like)
    assert isinstance(result, str)
    assert re.search(message, result), result


def test_convert_checked_casts_what_fits_into_a_new_array():
    source = np.array([1, 2], np.int32)
    result = convert_checked("key 'x'", Tensor(source), np.zeros(2, np.float16))
    assert result.dtype == np.float16 and result.tolist() == [1.0, 2.0]
    result[0] = 9
    assert source[0] == 1


def test_a_read_only_parameter_fails_the_load_before_anything_is_copied():
    model = small_model()
    before = model.state_dict()
    model[2].bias.numpy().flags.writeable = False
    state = {name: value + 1 for name, value in before.items()}
    with pytest.raises(ValueError, match="key '2.bias': the array it loads into is read-only"):
        model.load_state_dict(state)
    assert_unchanged(model, before)


def npz_with_big_member(path, name: str, shape: tuple) -> None:
    """A small compressed .npz holding a large all-zero array under `name`."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array(member, np.zeros(shape, np.float32))
        for key, value in small_model().state_dict().items():
            if key != name:
                with archive.open(f"{key}.npy", "w") as member:
                    np.lib.format.write_array(member, value)


@pytest.mark.parametrize("name", ["0.weight", "extra"])
def test_a_wrong_shape_or_unknown_member_is_refused_before_its_data_is_read(tmp_path, name):
    path = tmp_path / "bomb.npz"
    npz_with_big_member(path, name, (2000, 2000))  # 16 MB behind ~16 kB
    assert path.stat().st_size < 100_000
    model = small_model()
    before = model.state_dict()
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as error:
            model.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000
    expected = "has shape (2000, 2000); expected (4, 3)" if name == "0.weight" else "unexpected key"
    assert expected in str(error.value)
    assert_unchanged(model, before)


def test_non_strict_load_skips_unknown_members_without_reading_them(tmp_path):
    path = tmp_path / "extra.npz"
    npz_with_big_member(path, "extra", (2000, 2000))
    tracemalloc.start()
    try:
        result = small_model().load(path, strict=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000
    assert result.unexpected_keys == [] and result.missing_keys == []


def test_load_lists_missing_and_unexpected_names_of_a_checkpoint_file(tmp_path):
    autodiff.save({"model": small_model().state_dict(), "epoch": 1}, tmp_path / "ckpt.pt")
    with pytest.raises(ValueError) as error:
        small_model().load(tmp_path / "ckpt.pt")
    assert "missing key '0.weight' of shape (4, 3)" in str(error.value)
    assert "unexpected key 'model.0.weight'" in str(error.value)
    model = small_model()
    model.load_state_dict(autodiff.load(tmp_path / "ckpt.pt")["model"])  # the way to do it


def test_a_checkpoint_of_model_and_optimizer_resumes_training(tmp_path):
    model = small_model()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    x, y = np.random.default_rng(0).standard_normal((8, 3)), np.arange(8) % 2

    def step(model, optimizer):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    step(model, optimizer)
    autodiff.save(
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 1},
        tmp_path / "ckpt.pt",
    )
    checkpoint = autodiff.load(tmp_path / "ckpt.pt")
    twin = small_model()
    twin.load_state_dict(checkpoint["model"])
    twin_optimizer = nn.optim.Adam(twin.parameters(), lr=0.5)
    twin_optimizer.load_state_dict(checkpoint["optimizer"])
    assert checkpoint["epoch"] == 1
    step(model, optimizer)
    step(twin, twin_optimizer)
    for (name, a), b in zip(model.state_dict().items(), twin.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)


# ----- PyTorch ----------------------------------------------------------------------------------


def torch_twin(torch):
    return torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)
    ).double()


def test_our_safetensors_file_loads_strictly_into_the_torch_twin(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    model = small_model()
    model.save(tmp_path / "model.safetensors")
    twin = torch_twin(torch)
    twin.load_state_dict(safetensors_torch.load_file(tmp_path / "model.safetensors"), strict=True)
    x = np.random.default_rng(2).standard_normal((5, 3))
    expected = twin(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-12)


def test_torch_save_file_output_loads_here(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    twin = torch_twin(torch)
    safetensors_torch.save_file(twin.state_dict(), tmp_path / "torch.safetensors")
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))  # float32: a cast
    model.load(tmp_path / "torch.safetensors")
    x = np.random.default_rng(3).standard_normal((5, 3))
    expected = twin(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(x.astype(np.float32)).numpy(), expected, rtol=1e-5, atol=1e-6)
    float64_model = small_model()
    float64_model.load(tmp_path / "torch.safetensors")
    np.testing.assert_array_equal(float64_model(x).numpy(), expected)
