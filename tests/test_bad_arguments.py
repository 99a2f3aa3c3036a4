"""Every public function and layer constructor, called with a battery of bad arguments, either
works or raises one of the library's errors (TypeError, ValueError, RuntimeError or OSError,
and their subclasses in autodiff.errors) with a message naming the function: never a raw
AttributeError, ZeroDivisionError, OverflowError, IndexError, KeyError or RecursionError, nor a
numpy message that leaves the user to guess which call failed.

The functions are found, not listed: whatever autodiff, autodiff.numpy, autodiff.autograd,
autodiff.linalg, nn.functional, nn and nn.optim export is swept, so a new name is swept as soon
as it exists.
"""

from __future__ import annotations

import contextlib
import inspect
import types
import warnings

import numpy as np
import pytest

import autodiff
import autodiff.numpy as anp
import nn
import nn.functional as F
from autodiff import Tensor

ALLOWED = (TypeError, ValueError, RuntimeError, OSError)
RAW = (
    AttributeError,
    ZeroDivisionError,
    OverflowError,
    IndexError,
    KeyError,
    RecursionError,
    AssertionError,
    MemoryError,
)

# Not swept, each for a reason: they open windows or files, start processes, block, or are
# types rather than functions.
SKIPPED = {
    "draw_graph": "renders a picture through Graphviz (its own sweep is in test_draw)",
    "render_graph": "renders a picture through Graphviz",
    "trace_backward": "writes a page and may start a browser",
    "watch_backward": "writes a page and may start a browser",
    "RNNBase": "the base class; RNN, LSTM and GRU are swept",
    "RNNCellBase": "the base class; the cells are swept",
    "Module": "the base class; its subclasses are swept",
    "LRScheduler": "the base class; StepLR and CosineAnnealingLR are swept",
    "Optimizer": "the base class; the optimisers are swept",
    "LoadResult": "a named tuple of results, not a function",
    "Sample": "a named tuple of results, not a function",
}


# The scalar bad values the comparisons with PyTorch's constructors use (a constructor both
# libraries refuse or accept alike).
SCALARS = {
    "None": None,
    "str": "text",
    "nan": float("nan"),
    "inf": float("inf"),
    "negative": -1,
    "zero": 0,
    "float": 2.5,
    "bool": True,
}


def bad_values() -> list[tuple[str, object]]:
    return [
        ("None", None),
        ("str", "text"),
        ("object", object()),
        ("nan", float("nan")),
        ("inf", float("inf")),
        ("negative", -1),
        ("zero", 0),
        ("huge", 10**30),
        ("bool", True),
        ("rank5", np.ones((1, 1, 1, 1, 2), np.float32)),
        ("int-tensor", Tensor(np.arange(6).reshape(2, 3))),
        ("complex", np.ones(2, np.complex64)),
        ("ragged", [[1.0, 2.0], [3.0]]),
        ("empty", np.zeros((0, 3), np.float32)),
    ]


def good_value() -> Tensor:
    return Tensor(np.linspace(0.1, 0.9, 6, dtype=np.float32).reshape(2, 3))


def public(module: types.ModuleType) -> list[tuple[str, object]]:
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    found = []
    for name in sorted(set(names)):
        value = getattr(module, name, None)
        if name in SKIPPED or not callable(value):
            continue
        if inspect.isclass(value) and issubclass(value, BaseException):
            continue  # the error types themselves
        if isinstance(value, types.ModuleType) or getattr(value, "__module__", "") == "typing":
            continue
        if inspect.isclass(value) and not value.__module__.startswith(("autodiff", "nn")):
            continue  # re-exported from elsewhere
        found.append((f"{module.__name__}.{name}", value))
    return found


def parameters(function: object) -> list[inspect.Parameter]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [
        p
        for p in signature.parameters.values()
        if p.kind in kinds or p.kind == inspect.Parameter.KEYWORD_ONLY
    ]


# Small sizes for the parameters not under test, where the defaults build a large model.
SMALL = {
    "Transformer": {
        "d_model": 8,
        "nhead": 2,
        "num_encoder_layers": 1,
        "num_decoder_layers": 1,
        "dim_feedforward": 8,
    },
    "TransformerEncoderLayer": {"d_model": 8, "nhead": 2, "dim_feedforward": 8},
    "TransformerDecoderLayer": {"d_model": 8, "nhead": 2, "dim_feedforward": 8},
}


def calls(function: object) -> list[tuple[str, tuple, dict]]:
    """(label, args, kwargs): each parameter in turn given each bad value, the required ones
    before it a good tensor, and for optimisers and schedulers a real first argument."""
    params = parameters(function)
    result = []
    for index, param in enumerate(params):
        for label, bad in bad_values():
            args, kwargs = [], {}
            for other in params[:index]:
                if other.default is inspect.Parameter.empty:
                    if other.kind == inspect.Parameter.KEYWORD_ONLY:
                        kwargs[other.name] = good_first(function, other)
                    else:
                        args.append(good_first(function, other))
            if param.kind == inspect.Parameter.KEYWORD_ONLY or (
                param.default is not inspect.Parameter.empty and len(args) < index
            ):
                kwargs[param.name] = bad
            else:
                args.append(bad)
            small = SMALL.get(getattr(function, "__name__", ""), {})
            kwargs.update({n: v for n, v in small.items() if n != param.name and n not in kwargs})
            result.append((f"{param.name}={label}", tuple(args), kwargs))
    return result


def good_first(function: object, param: inspect.Parameter) -> object:
    if inspect.isclass(function) and issubclass(function, nn.Module):
        return 3  # a layer's sizes: features, channels, kernel, ...
    if param.name == "params":
        return [nn.Parameter(np.ones(3, np.float32))]
    if param.name == "optimizer":
        return nn.optim.SGD([nn.Parameter(np.ones(3, np.float32))], lr=0.1)
    if param.name in ("f", "fn", "func", "function"):
        return lambda x: (x * x).sum()
    return good_value()


def names_of(qualified: str, function: object) -> set[str]:
    short = qualified.rsplit(".", 1)[1]
    return {short, getattr(function, "__name__", short)}


def swept() -> list[tuple[str, object]]:
    """Each public callable once, under the first name it is found by (Tensor is autodiff's,
    not nn.functional's)."""
    seen: set[int] = set()
    found = []
    for module in (autodiff, anp, autodiff.autograd, autodiff.linalg, F, nn, nn.optim):
        for name, function in public(module):
            if id(function) not in seen:
                seen.add(id(function))
                found.append((name, function))
    return found


SWEPT = swept()


@contextlib.contextmanager
def memory_capped(extra_bytes: int = 2 << 30):
    """Cap the process's address space at its present size plus `extra_bytes` (on Linux), so
    that a function allocating what it was asked for before checking it fails with MemoryError
    (reported as a failure) instead of exhausting the machine."""
    try:
        import resource

        with open("/proc/self/status") as status:
            size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize"))
    except (ImportError, OSError, StopIteration):
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = size + extra_bytes
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory):
    """One directory for the whole sweep: save and load write and read files named by bad
    values there."""
    return tmp_path_factory.mktemp("sweep")


@pytest.mark.parametrize(("qualified", "function"), SWEPT, ids=[name for name, _ in SWEPT])
def test_bad_arguments_raise_the_librarys_error_naming_the_function(
    qualified, function, scratch, monkeypatch
):
    monkeypatch.chdir(scratch)
    names = names_of(qualified, function)
    failures = []
    dtype, grad_mode, threads = (
        autodiff.get_default_dtype(),
        autodiff.is_grad_enabled(),
        autodiff.get_num_threads(),
    )
    for label, args, kwargs in calls(function):
        try:
            with warnings.catch_warnings(), memory_capped():
                warnings.simplefilter("ignore")
                function(*args, **kwargs)
        except autodiff.DimError as error:  # ours, an IndexError too (as PyTorch's dim errors)
            if not any(name in str(error) for name in names):
                failures.append(f"{label}: DimError not naming {sorted(names)}: {error}")
        except RAW as error:
            failures.append(f"{label}: raw {type(error).__name__}: {str(error)[:120]}")
        except ALLOWED as error:
            if not any(name in str(error) for name in names):
                failures.append(
                    f"{label}: {type(error).__name__} not naming {sorted(names)}: "
                    f"{str(error)[:120]}"
                )
        except Exception as error:  # noqa: BLE001 - any other type is a failure to report
            failures.append(f"{label}: {type(error).__name__}: {str(error)[:120]}")
        finally:  # a call that worked may have changed a global setting: put it back
            if autodiff.get_default_dtype() != dtype:
                autodiff.set_default_dtype(dtype)
            assert autodiff.is_grad_enabled() == grad_mode, f"{label} changed the grad mode"
            if autodiff.get_num_threads() != threads:
                autodiff.set_num_threads(threads)
    assert not failures, f"{qualified}:\n" + "\n".join(failures)


def test_grad_with_an_argnum_past_the_arguments_is_the_librarys_error():
    f = autodiff.grad(lambda a: (a * a).sum(), argnums=3)
    with pytest.raises(ValueError, match="grad: argnums refers to argument 3"):
        f(good_value())


def test_jacobian_of_a_tuple_valued_function_is_a_tuple_of_jacobians():
    x = Tensor(np.ones(3))
    jacobians = autodiff.jacobian(lambda a: (a * 2, a * 3))(x)
    assert isinstance(jacobians, tuple) and len(jacobians) == 2
    np.testing.assert_array_equal(np.asarray(jacobians[1].numpy()), 3 * np.eye(3))


def test_a_stack_of_more_layers_than_memory_holds_is_refused_before_any_is_built():
    for make in (
        lambda: nn.LSTM(4, 4, num_layers=2**31 - 1),
        lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 8), 2**31 - 1),
    ):
        with memory_capped(), pytest.raises(ValueError, match="GiB, more than this machine"):
            make()
    assert len(nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 8), 0).layers) == 0


def test_the_librarys_layers_name_the_class_made_and_a_users_own_are_left_alone():
    class Wide(nn.Linear):
        pass

    with pytest.raises(ValueError, match="^Wide: Linear: in_features=None"):
        Wide(None, 3)

    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            raise KeyError("mine")

    with pytest.raises(KeyError, match="mine"):  # a user's error keeps its type and text
        Broken()


def test_joining_no_tensors_says_so():
    for join in (autodiff.cat, autodiff.stack):
        with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
            join([])
    with pytest.raises(TypeError, match="cat: got one Tensor; expected a list or tuple"):
        autodiff.cat(good_value())


def test_size_takes_a_sequence_of_integer_dims():
    assert autodiff.Size([2, np.int64(3)]) == (2, 3)
    for bad in (5, None, [2.5], ["a"]):
        with pytest.raises(TypeError, match="^Size: "):
            autodiff.Size(bad)


def test_warnings_from_wrapped_functions_point_at_the_callers_line():
    x = Tensor(np.ones((2, 3), np.float32))
    for call in (
        lambda: F.softmax(x),
        lambda: F.dropout2d(x, 0.5),
        lambda: nn.LSTM(2, 2, dropout=0.5),
        lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 8), 1),
    ):
        with pytest.warns(UserWarning) as caught:
            call()
        assert [w.filename for w in caught] == [__file__]


def test_a_users_own_exception_passes_through_a_named_function_unchanged():
    class EarlyStop(RuntimeError):
        pass

    def hook(g):
        raise EarlyStop("stop here")

    x = autodiff.ones(3, requires_grad=True)
    y = x * 2
    y.register_hook(hook)
    with pytest.raises(EarlyStop, match="^stop here$"):
        autodiff.autograd.grad(y.sum(), x)
    # Python's bare errors become the library's (as any raised inside it), caused by the original
    with pytest.raises(ValueError, match="LambdaLR: no entry 0") as caught:
        nn.optim.LambdaLR(nn.optim.SGD([nn.Parameter(np.ones(2))], lr=0.1), lambda e: {}[e])
    assert isinstance(caught.value.__cause__, KeyError)


def test_a_dim_out_of_range_is_an_index_error_as_in_pytorch():
    for call in (lambda: autodiff.ones(2, 3).sum(5), lambda: F.softmax(autodiff.ones(2), 3)):
        with pytest.raises(IndexError) as caught:
            call()
        assert isinstance(caught.value, autodiff.ShapeError)
