"""Tests of nn.Module: registration, traversal, modes, repr, state dicts and .npz files."""

import os
import pickle

import numpy as np
import pytest

import autodiff
import nn
from autodiff import Tensor


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3))
        self.inner = nn.Linear(3, 2, dtype=np.float64)
        self.heads = [nn.Linear(2, 1, dtype=np.float64), nn.Linear(2, 1, dtype=np.float64)]
        self.note = "not a parameter"

    def forward(self, x):
        hidden = self.inner(x * self.scale)
        return sum(head(hidden) for head in self.heads)


def small_model() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(3, 4, dtype=np.float64), nn.ReLU(), nn.Linear(4, 2, dtype=np.float64)
    )


def test_module_registers_parameters_modules_and_lists_with_dotted_names():
    block = Block()
    names = [name for name, _ in block.named_parameters()]
    assert names == [
        "scale",
        "inner.weight",
        "inner.bias",
        "heads.0.weight",
        "heads.0.bias",
        "heads.1.weight",
        "heads.1.bias",
    ]
    assert isinstance(block.heads, nn.ModuleList)
    assert [name for name, _ in block.named_children()] == ["inner", "heads"]
    assert list(block.children()) == [block.inner, block.heads]
    assert len(list(block.modules())) == 5  # block, inner, heads, heads.0, heads.1
    assert [name for name, _ in block.named_modules()][-1] == "heads.1"
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in block.parameters())


def test_module_reassigning_or_deleting_an_attribute_updates_registration():
    block = Block()
    block.inner = nn.Linear(3, 5)
    assert block.inner.weight.shape == (5, 3)
    block.scale = None
    del block.heads
    assert [name for name, _ in block.named_parameters()] == ["inner.weight", "inner.bias"]


def test_module_replacing_a_parameter_or_child_keeps_its_place_as_pytorch():
    block = Block()
    before = [name for name, _ in block.named_parameters()]
    block.scale = nn.Parameter(np.zeros(3))
    block.inner = nn.Linear(3, 2, dtype=np.float64)
    assert [name for name, _ in block.named_parameters()] == before
    assert list(block.state_dict()) == before
    np.testing.assert_array_equal(block.state_dict()["scale"], np.zeros(3))


def test_module_shared_parameter_is_listed_once():
    model = small_model()
    model.append(model[0])
    assert len(list(model.parameters())) == 4
    assert "3.weight" in model.state_dict()  # the state dict names it under both names


def test_module_refuses_lists_that_would_hide_parameters():
    block = Block()
    with pytest.raises(TypeError, match=r"'mixed' is a list of 1 Modules, 0 Parameters and 1 oth"):
        block.mixed = [nn.ReLU(), "relu"]
    with pytest.raises(TypeError, match=r"'both' is a dict of 1 Modules, 1 Parameters .*Dict"):
        block.both = {"a": nn.ReLU(), "b": nn.Parameter(np.ones(2))}
    block.names = ["a", "b"]  # a list of other values stays a list
    assert block.names == ["a", "b"]
    block.table = {"a": 1}
    assert block.table == {"a": 1}


def test_module_registers_lists_and_dicts_of_modules_and_parameters():
    block = nn.Module()
    block.layers = [nn.Linear(2, 2), nn.Linear(2, 1)]
    block.heads = {"mean": nn.Linear(1, 1)}
    block.scales = (nn.Parameter(np.ones(2)),)
    block.biases = {"a": nn.Parameter(np.zeros(1))}
    assert isinstance(block.layers, nn.ModuleList) and isinstance(block.heads, nn.ModuleDict)
    assert isinstance(block.scales, nn.ParameterList)
    assert isinstance(block.biases, nn.ParameterDict)
    block.layers.append(nn.Linear(1, 3))  # filled after the assignment: registered too
    block.heads["scale"] = nn.Linear(1, 1)
    assert list(block.state_dict()) == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
        "layers.2.weight",
        "layers.2.bias",
        "heads.mean.weight",
        "heads.mean.bias",
        "heads.scale.weight",
        "heads.scale.bias",
        "scales.0",
        "biases.a",
    ]
    assert len(list(block.parameters())) == 12


@pytest.mark.parametrize("empty", [list, dict])
def test_module_refuses_a_plain_container_filled_after_assignment(empty):
    model = nn.Module()
    model.layers = empty()
    if empty is list:
        model.layers.append(nn.Linear(2, 2))
    else:
        model.layers["first"] = nn.Linear(2, 2)
    kind = "List" if empty is list else "Dict"
    message = rf"attribute 'layers' is a plain {empty.__name__} .* nn.Module{kind}\(\)"
    with pytest.raises(TypeError, match=message):
        list(model.parameters())
    with pytest.raises(TypeError, match=message):
        model.state_dict()


def test_module_dict_and_parameter_containers_behave_as_pytorchs():
    heads = nn.ModuleDict({"a": nn.Linear(2, 1)})
    heads.update([("b", nn.ReLU())])
    assert list(heads) == ["a", "b"] and "a" in heads and len(heads) == 2
    assert isinstance(heads["b"], nn.ReLU)
    del heads["b"]
    assert heads.keys() == ["a"]
    with pytest.raises(TypeError, match=r"ModuleDict \[key\] =: expected a Module, got int"):
        heads["c"] = 3
    with pytest.raises(KeyError, match=r"key 'x.y'; expected a non-empty string without '.'"):
        heads["x.y"] = nn.ReLU()
    params = nn.ParameterList([nn.Parameter(np.ones(2))])
    params.append(nn.Parameter(np.zeros(3)))
    assert [p.shape for p in params] == [(2,), (3,)] and params[-1].shape == (3,)
    with pytest.raises(TypeError, match=r"ParameterList append: expected a Parameter"):
        params.append(np.ones(2))
    table = nn.ParameterDict({"w": nn.Parameter(np.ones(2))})
    assert [name for name, _ in table.named_parameters()] == ["w"]


def test_module_containers_have_pytorchs_state_dict_keys():
    torch = pytest.importorskip("torch")

    class Ours(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
            self.scales = nn.ParameterList([nn.Parameter(np.ones(2)) for _ in range(2)])
            self.offsets = nn.ParameterDict({"a": nn.Parameter(np.zeros(2))})

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = torch.nn.ModuleDict(
                {"enc": torch.nn.Linear(2, 3), "dec": torch.nn.Linear(3, 2)}
            )
            self.scales = torch.nn.ParameterList(
                [torch.nn.Parameter(torch.ones(2)) for _ in range(2)]
            )
            self.offsets = torch.nn.ParameterDict({"a": torch.nn.Parameter(torch.zeros(2))})

    ours, theirs = Ours(), Theirs()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    state = {key: value.detach().numpy() for key, value in theirs.state_dict().items()}
    ours.load_state_dict(state)
    np.testing.assert_array_equal(ours.blocks["enc"].weight.numpy(), state["blocks.enc.weight"])
    np.testing.assert_array_equal(ours.scales[1].numpy(), state["scales.1"])


def test_a_weight_snapshot_does_not_change_with_the_next_optimizer_step():
    """np.array copies (numpy 2's copy=True reaches Tensor.__array__)."""
    layer = nn.Linear(2, 2)
    before = np.array(layer.weight)
    layer(autodiff.ones(1, 2)).sum().backward()
    nn.optim.SGD(layer.parameters(), lr=0.1).step()
    assert not np.array_equal(before, layer.weight.numpy())
    np.testing.assert_allclose(before - 0.1 * layer.weight.grad.numpy(), layer.weight.numpy())


def test_module_assigning_before_init_names_the_fix():
    class Forgetful(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(np.ones(2))

    with pytest.raises(AttributeError, match=r"expected super\(\).__init__\(\) first"):
        Forgetful()


def test_module_without_forward_raises():
    with pytest.raises(NotImplementedError, match="Module: forward is not defined"):
        nn.Module()(1)


def test_module_zero_grad_sets_gradients_to_none():
    model = small_model()
    model(Tensor(np.ones((2, 3)))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_module_train_and_eval_set_every_submodule():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5)))
    assert model.eval() is model
    assert [m.training for m in model.modules()] == [False] * 4
    model.train()
    assert [m.training for m in model.modules()] == [True] * 4


def test_module_call_runs_forward_inside_a_scope_per_module():
    model = nn.MLP([3, 4, 2], dtype=np.float64)
    out = model(Tensor(np.ones((1, 3))))
    assert out._node.scope == ("MLP", "Sequential", "Linear(4→2)")
    relu_output = out._node.inputs[0]  # out = linear(relu_output, weight, bias)
    assert relu_output._node.scope == ("MLP", "Sequential", "ReLU")
    assert (Tensor(np.ones(1), requires_grad=True) * 2)._node.scope == ()  # scope restored


def test_module_repr_is_a_tree_like_pytorch():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.25))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.25, inplace=False)\n"
        ")"
    )
    assert repr(nn.MLP([2, 1])) == (
        "MLP(\n  (layers): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=1, bias=True)\n  )\n)"
    )


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(np.zeros((2, 3)))
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\nTensor(")
    assert type(p * 2) is Tensor


def test_module_list_indexing_slicing_and_errors():
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.Sigmoid()])
    assert isinstance(layers[-1], nn.Sigmoid)
    assert isinstance(layers[1:], nn.ModuleList) and len(layers[1:]) == 2
    with pytest.raises(IndexError, match="index 3 out of range"):
        layers[3]
    with pytest.raises(TypeError, match="expected a Module, got int"):
        layers.append(3)


# ----- state dicts ----------------------------------------------------------------------------


def test_state_dict_holds_copies_under_pytorch_names_and_shapes():
    model = small_model()
    state = model.state_dict()
    assert {name: a.shape for name, a in state.items()} == {
        "0.weight": (4, 3),
        "0.bias": (4,),
        "2.weight": (2, 4),
        "2.bias": (2,),
    }
    state["0.bias"][:] = 7.0
    assert not np.any(model[0].bias.numpy() == 7.0)


def test_load_state_dict_copies_values():
    source, target = small_model(), small_model()
    target.load_state_dict(source.state_dict())
    x = Tensor(np.random.default_rng(0).standard_normal((5, 3)))
    np.testing.assert_array_equal(source(x).numpy(), target(x).numpy())


def test_load_state_dict_reports_every_problem_and_changes_nothing():
    model = small_model()
    before = model.state_dict()
    state = model.state_dict()
    state["0.weight"] = np.zeros((3, 4))  # transposed
    del state["2.bias"]
    state["fc.weight"] = np.zeros(1)
    with pytest.raises(ValueError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert "key '0.weight' has shape (3, 4); expected (4, 3)" in message
    assert "missing key '2.bias' of shape (2,)" in message
    assert "unexpected key 'fc.weight'" in message
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_load_state_dict_validates_everything_before_copying_anything():
    model = small_model()
    before = model.state_dict()
    state = {name: value + 1 for name, value in before.items()}
    state["2.bias"] = np.zeros(5)  # the last key is wrong: the first ones must stay untouched
    with pytest.raises(ValueError, match="'2.bias' has shape"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model[0].weight.numpy(), before["0.weight"])


def test_load_state_dict_non_strict_returns_skipped_keys():
    model = small_model()
    state = model.state_dict()
    del state["2.bias"]
    state["extra"] = np.zeros(1)
    result = model.load_state_dict(state, strict=False)
    assert result == nn.LoadResult(missing_keys=["2.bias"], unexpected_keys=["extra"])
    with pytest.raises(ValueError, match="has shape"):
        model.load_state_dict({"0.bias": np.zeros(3)}, strict=False)


def test_load_state_dict_refuses_values_of_another_kind():
    model = small_model()
    state = model.state_dict()
    state["0.bias"] = np.array(["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="'0.bias' has dtype <U1; expected float64"):
        model.load_state_dict(state)


# ----- files ----------------------------------------------------------------------------------


def test_save_then_load_gives_identical_outputs(tmp_path):
    path = tmp_path / "model.npz"
    source, target = small_model(), small_model()
    source.save(path)
    target.load(path)
    x = Tensor(np.random.default_rng(1).standard_normal((4, 3)))
    np.testing.assert_array_equal(source(x).numpy(), target(x).numpy())
    assert os.listdir(tmp_path) == ["model.npz"]


def test_load_refuses_a_file_with_pickled_objects(tmp_path):
    model = small_model()
    before = model.state_dict()
    path = tmp_path / "evil.npz"
    state = dict(before)
    state["0.weight"] = np.array([{"code": "runs"}] * 12, dtype=object).reshape(4, 3)
    np.savez(path, **state)
    with pytest.raises(ValueError, match="pickled objects are refused"):
        model.load(path)
    raw = tmp_path / "raw.npz"
    raw.write_bytes(pickle.dumps(before))
    with pytest.raises(ValueError, match="pickled"):
        model.load(raw)
    np.testing.assert_array_equal(model[0].weight.numpy(), before["0.weight"])


@pytest.mark.parametrize("cut", ["half", "tail", "empty", "flipped"])
def test_load_refuses_a_corrupt_file_and_loads_nothing(tmp_path, cut):
    other = small_model()
    path = tmp_path / "model.npz"
    other.save(path)
    raw = path.read_bytes()
    corrupt = {
        "half": raw[: len(raw) // 2],
        "tail": raw[:-7],
        "empty": b"",
        "flipped": raw[:100] + bytes([raw[100] ^ 0xFF]) + raw[101:],  # inside 0.weight's data
    }[cut]
    path.write_bytes(corrupt)
    model = small_model()
    before = model.state_dict()
    with pytest.raises(ValueError, match="load: cannot read"):
        model.load(path)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_load_refuses_a_single_npy_array(tmp_path):
    path = tmp_path / "weights.npy"
    np.save(path, np.zeros(3))
    with pytest.raises(ValueError, match="single array of shape"):
        small_model().load(path)


def test_load_of_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        small_model().load(tmp_path / "absent.npz")


def test_a_save_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    small_model().save(path)
    old = path.read_bytes()

    def failing_write_array(file, array, **options):
        file.write(b"\x93NUMPY partial array")
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", failing_write_array)
    with pytest.raises(OSError, match="disk full"):
        small_model().save(path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["model.npz"]


def test_save_accepts_a_name_without_extension(tmp_path):
    path = tmp_path / "checkpoint"
    model = small_model()
    model.save(path)
    assert os.listdir(tmp_path) == ["checkpoint"]  # no ".npz" appended behind the user's back
    small_model().load(path)


def test_save_gives_the_file_the_usual_permissions(tmp_path):
    path = tmp_path / "model.npz"
    nn.Linear(2, 2).save(path)
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    assert os.stat(path).st_mode & 0o777 == os.stat(plain).st_mode & 0o777


def test_parameters_named_like_savez_options_round_trip(tmp_path):
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.file = nn.Parameter(np.ones(2))
            self.allow_pickle = nn.Parameter(np.full(3, 2.0))

    path = tmp_path / "odd.npz"
    Odd().save(path)
    other = Odd()
    with autodiff.no_grad():
        other.file.zero_()
    other.load(path)
    np.testing.assert_array_equal(other.file.numpy(), [1.0, 1.0])


def test_save_into_a_missing_directory_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="save: cannot write .*model.npz: no directory"):
        nn.Linear(2, 2).save(tmp_path / "missing" / "model.npz")


# ----- attribute rules for Parameters --------------------------------------------------------


def test_sgd_by_hand_with_augmented_assignment_keeps_the_parameters():
    layer = nn.Linear(3, 2)
    weight, bias = layer.weight, layer.bias
    layer(Tensor(np.ones((4, 3), np.float32))).sum().backward()
    expected = weight.numpy() - 0.1 * weight.grad.numpy()
    with autodiff.no_grad():
        layer.weight -= 0.1 * layer.weight.grad
        layer.bias -= 0.1 * layer.bias.grad
    assert layer.weight is weight and layer.bias is bias
    assert [p is q for p, q in zip(layer.parameters(), (weight, bias))] == [True, True]
    np.testing.assert_allclose(layer.weight.numpy(), expected)


def test_an_update_outside_no_grad_is_refused_and_changes_nothing():
    layer = nn.Linear(3, 2)
    before = layer.weight.numpy().copy()
    with pytest.raises(autodiff.GradientError, match="no_grad"):
        layer.weight -= 0.1
    np.testing.assert_array_equal(layer.weight.numpy(), before)
    assert isinstance(layer.weight, nn.Parameter)


@pytest.mark.parametrize("value", [np.zeros((2, 3)), Tensor(np.zeros((2, 3))), 1.0])
def test_a_parameter_attribute_accepts_only_a_parameter_or_none(value):
    layer = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="cannot assign .* to parameter 'weight'; expected an nn."):
        layer.weight = value
    assert isinstance(layer.weight, nn.Parameter)
    layer.weight = nn.Parameter(np.zeros((2, 3), np.float32))
    layer.bias = None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]


@pytest.mark.parametrize("name", ["training", "forward", "parameters", "_modules"])
def test_a_name_that_is_a_module_attribute_is_refused(name):
    module = nn.Module()
    with pytest.raises(KeyError, match=f"parameter name '{name}' is already an attribute"):
        setattr(module, name, nn.Parameter(np.zeros(1)))
    with pytest.raises(KeyError, match=f"child module name '{name}' is already an attribute"):
        setattr(module, name, nn.Linear(1, 1))


def test_a_dotted_name_is_refused():
    module = nn.Module()
    with pytest.raises(KeyError, match="parameter name 'a.b'; expected no '.'"):
        setattr(module, "a.b", nn.Parameter(np.zeros(1)))


def test_parameter_shares_a_tensors_values_and_copies_an_array():
    t = autodiff.tensor([1.0, 2.0])
    array = np.array([1.0, 2.0])
    assert nn.Parameter(t).numpy() is t.numpy()
    assert not np.shares_memory(nn.Parameter(array).numpy(), array)


# ----- dtype and device ----------------------------------------------------------------------


def test_to_double_float_keep_the_parameter_objects():
    model = small_model().float()
    params = list(model.parameters())
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    assert all(p.dtype == np.float32 for p in params)
    assert model.double() is model and all(p.dtype == np.float64 for p in model.parameters())
    assert model.to(autodiff.float32) is model and model.to("cpu") is model
    assert [p is q for p, q in zip(model.parameters(), params)] == [True] * 4
    assert all(p.dtype == np.float32 for p in params)
    model(Tensor(np.ones((2, 3), np.float32))).sum().backward()
    optimizer.step()  # the optimiser made before still holds the same Parameters
    with pytest.raises(RuntimeError, match="device: 'cuda:0' is not available"):
        model.to("cuda:0")


def test_to_converts_gradients_and_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = small_model()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    ours(Tensor(np.ones((1, 3)))).sum().backward()
    ours.to(autodiff.float32)
    theirs.double().to(torch.float32)
    assert all(p.grad.dtype == np.float32 for p in ours.parameters())
    assert [str(p.dtype).removeprefix("autodiff.") for p in ours.parameters()] == [
        str(p.dtype).removeprefix("torch.") for p in theirs.parameters()
    ]


def test_a_float64_batch_into_a_float32_model_raises_as_in_pytorch():
    model = nn.Linear(3, 2)
    with pytest.raises(autodiff.DTypeError, match="linear: operands of dtypes float64 and float32"):
        model(Tensor(np.ones((4, 3)) / 255.0))
    assert model(Tensor(np.ones((4, 3)) / 255.0).float()).dtype == np.float32
