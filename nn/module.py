"""Module, the base of every layer: it finds the Parameters and sub-modules set as attributes,
names them, switches train/eval mode, and moves their values to and from state dicts and files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, BinaryIO, NamedTuple

import numpy as np

import autodiff
from autodiff.errors import NAMED, named, named_errors
from nn.parameter import Parameter


class LoadResult(NamedTuple):
    """The keys that load_state_dict(strict=False) left alone (PyTorch's _IncompatibleKeys)."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"  # what PyTorch prints
        return (
            f"LoadResult(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"
        )


class Module:
    """Base class of layers and models: subclasses set parameters and sub-modules as attributes
    in `__init__` (after `super().__init__()`) and compute in `forward`.

    Attributes holding a Parameter, a Module, or a list, tuple or dict of Modules (made into a
    ModuleList or ModuleDict) or of Parameters (a ParameterList or ParameterDict) are
    registered, in assignment order, under the attribute's name. A plain list or dict that
    holds a Module or a Parameter some other way (mixed with other values, or appended after
    the assignment) is refused, as its parameters would silently never be trained.

    >>> class Affine(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = nn.Parameter(np.ones(3))
    ...         self.shift = nn.Linear(3, 3)
    ...     def forward(self, x):
    ...         return self.shift(x * self.scale)
    >>> [name for name, _ in Affine().named_parameters()]
    ['scale', 'shift.weight', 'shift.bias']
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """The library's own layers: a bad argument's error names the class (errors.named)."""
        super().__init_subclass__(**kwargs)
        if cls.__module__.split(".")[0] == "nn":
            named_errors(cls)

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_buffers", {})  # buffer name -> whether state_dict holds it

    # ----- registration -----------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, (list, tuple, dict)):
            value = _as_container(name, value)
        parameters = self.__dict__.get("_parameters")
        if parameters is None:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(
                    f"{type(self).__name__}: cannot assign {type(value).__name__} {name!r} "
                    f"before Module.__init__() has run; expected super().__init__() first"
                )
        else:
            if name in parameters and not isinstance(value, (Parameter, type(None))):
                raise TypeError(
                    f"{type(self).__name__}: cannot assign {type(value).__name__} to parameter "
                    f"{name!r}; expected an nn.Parameter or None (to change its values in place, "
                    f"use `with autodiff.no_grad(): {name}.copy_(...)` or {name} -= ...)"
                )
            if isinstance(value, (Parameter, Module)) and name not in parameters:
                _check_new_name(self, name, value)
            # a replacement keeps its place in named_parameters() and state_dict(), as in PyTorch
            if not isinstance(value, Parameter):
                parameters.pop(name, None)
            if not isinstance(value, Module):
                self._modules.pop(name, None)
            if isinstance(value, Parameter):
                parameters[name] = value
                if value.name is None:
                    value.name = name
            elif isinstance(value, Module):
                self._modules[name] = value
                _extend_names(value, name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    # ----- calling ----------------------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__}: forward is not defined; expected a subclass of nn.Module "
            f"to define forward(...)"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """forward(*args, **kwargs), with its ops labelled by `scope_label()` on the tape."""
        with autodiff.scope(self.scope_label()):
            return self.forward(*args, **kwargs)

    def scope_label(self) -> str:
        """The short label the graph pictures group this module's ops under: the class name."""
        return type(self).__name__

    # ----- traversal --------------------------------------------------------------------------

    def _walk(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Self and every module below it, pre-order, with dotted names; shared ones repeat.

        Raises if a module holds Modules or Parameters in a plain list or dict attribute
        (filled after it was assigned): they would be left out of every traversal."""
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            _refuse_hidden(module)
            yield name, module
            below = [(_join(name, key), child) for key, child in module._modules.items()]
            stack.extend(reversed(below))

    def _parameter_table(self) -> dict[str, Parameter]:
        """Every parameter by dotted name; one shared by two modules appears under both names."""
        return {
            _join(prefix, name): p
            for prefix, module in self._walk()
            for name, p in module._parameters.items()
        }

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for self ("") and every module below it, each once."""
        seen: set[int] = set()
        for name, module in self._walk(prefix):
            if id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct sub-modules."""
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter), e.g. ("layers.0.weight", ...); a shared one comes once."""
        seen: set[int] = set()
        walk = self._walk(prefix) if recurse else iter([(prefix, self)])
        for module_name, module in walk:
            for name, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield _join(module_name, name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Keep `tensor` (state that is not trained, like BatchNorm's running mean) as the
        attribute `name`: buffers() finds it, and state_dict() holds it unless not persistent.

        The buffer is whatever the attribute holds, so assigning a new Tensor to it replaces
        the buffer; None is allowed and left out of state_dict().
        """
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"register_buffer: name {name!r}; expected a non-empty name without '.'")
        if name in self._parameters or name in self._modules:
            raise KeyError(f"register_buffer: {name!r} is already a parameter or a module")
        if tensor is not None and not isinstance(tensor, autodiff.Tensor):
            tensor = autodiff.Tensor(np.array(tensor))
        self._buffers[name] = persistent
        object.__setattr__(self, name, tensor)

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Any]]:
        """(dotted name, buffer) for every buffer that is not None; a shared one comes once."""
        seen: set[int] = set()
        walk = self._walk(prefix) if recurse else iter([(prefix, self)])
        for module_name, module in walk:
            for name in module._buffers:
                buffer = getattr(module, name, None)
                if buffer is not None and id(buffer) not in seen:
                    seen.add(id(buffer))
                    yield _join(module_name, name), buffer

    def buffers(self, recurse: bool = True) -> Iterator[Any]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def _state_table(self) -> dict[str, Any]:
        """What state_dict() holds, by dotted name: each module's parameters, then its
        persistent buffers, module by module (PyTorch's order)."""
        table: dict[str, Any] = {}
        for prefix, module in self._walk():
            for name, p in module._parameters.items():
                table[_join(prefix, name)] = p
            for name, persistent in module._buffers.items():
                buffer = getattr(module, name, None)
                if persistent and buffer is not None:
                    table[_join(prefix, name)] = buffer
        return table

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (set it to None, PyTorch's default), or with
        set_to_none=False fill the existing gradients with zeros in place."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                with autodiff.no_grad():
                    p.grad.zero_()

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call fn on every sub-module (children first, as PyTorch) and on self; returns self.

        >>> model.apply(init_weights)  # e.g. def init_weights(m): if isinstance(m, nn.Linear): ...
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout drops) on self and every sub-module; returns self."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Set evaluation mode (Dropout passes values through); returns self."""
        return self.train(False)

    # ----- dtype and device -------------------------------------------------------------------

    def to(
        self, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False
    ) -> Module:
        """Convert floating parameters (and their gradients) in place: to(dtype), to(device),
        to(device, dtype), to(tensor); returns self. The Parameter objects stay the same, so an
        optimiser made before still updates them. The only device is the CPU.
        """
        for arg in args:
            if isinstance(arg, autodiff.Tensor):
                dtype = arg.dtype
            elif isinstance(arg, (str, autodiff.device)):
                device = arg
            else:
                dtype = arg
        if device is not None:
            autodiff.device(device)  # raises for anything but the CPU
        return self if dtype is None else self._cast(np.dtype(dtype))

    def float(self) -> Module:
        """Floating parameters as float32, in place; returns self."""
        return self._cast(np.dtype(np.float32))

    def double(self) -> Module:
        """Floating parameters as float64, in place; returns self."""
        return self._cast(np.dtype(np.float64))

    def _cast(self, dtype: np.dtype) -> Module:
        if dtype.kind != "f":
            raise TypeError(f"Module.to: expected a floating dtype, got {dtype}")
        for module in self.modules():
            buffers = [buffer for _, buffer in module.named_buffers(recurse=False)]
            tensors = [*module._parameters.values(), *buffers]
            for tensor in tensors:
                if tensor is not None and tensor.dtype.kind == "f":
                    tensor.data = tensor.numpy().astype(dtype, copy=False)
                    if tensor.grad is not None:
                        tensor.grad = tensor.grad.to(dtype)
        return self

    # ----- state ------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's and persistent buffer's values by dotted name, with
        PyTorch's names, shapes and order."""
        return {name: t.numpy().copy() for name, t in self._state_table().items()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> LoadResult:
        """Copy values from `state` (name -> array or Tensor) into the parameters.

        All or nothing: every entry of state_dict() that `state` names is checked (shape,
        real-valued dtype that casts to the entry's) and converted before any value is copied,
        so a failed load changes nothing. A float of another width is cast (float64 weights load
        into a float32 model) unless a value does not fit (overflows to inf). With strict=True
        missing and unexpected keys are errors; with strict=False they are skipped and returned.
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"load_state_dict: expected a mapping of names to arrays, "
                f"got {type(state).__name__}"
            )
        current = self.state_dict()
        ready: dict[str, np.ndarray] = {}
        problems: list[str] = []
        unexpected = [key for key in state if key not in current]
        missing = [key for key in current if key not in state]
        for key, value in state.items():
            if key in current:
                converted = convert_checked(f"key {key!r}", value, current[key])
                if isinstance(converted, str):
                    problems.append(converted)
                else:
                    ready[key] = converted
        if strict:
            problems += [f"missing key {key!r} of shape {current[key].shape}" for key in missing]
            problems += [f"unexpected key {key!r}" for key in unexpected]
        targets = {key: self._state_target(key) for key in ready}
        for key, target in targets.items():
            if not np.asarray(target).flags.writeable:
                problems.append(f"key {key!r}: the array it loads into is read-only")
        if problems:
            raise ValueError(
                f"load_state_dict: the state does not fit {type(self).__name__}; expected its "
                f"parameter names and shapes, got:\n  " + "\n  ".join(problems)
            )
        with autodiff.no_grad():
            for key, array in ready.items():
                target = targets[key]
                if isinstance(target, autodiff.Tensor):
                    target.copy_(array)
                else:
                    np.copyto(target, array)
        return LoadResult(missing, unexpected)

    def _state_target(self, key: str) -> Any:
        """What state_dict()[key] was copied from: the attribute the key's last part names."""
        *path, name = key.split(".")
        module = self
        for part in path:
            module = module._modules[part]
        if name in module._parameters:  # also a ParameterList's "0", a ParameterDict's key
            return module._parameters[name]
        return getattr(module, name)

    def save(self, path: str | os.PathLike) -> None:
        """Write state_dict() to `path`: safetensors for a name ending in `.safetensors`
        (safetensors.torch.load_file reads it for a torch.nn twin), else .npz under exactly
        that name. Atomic, as autodiff.save: a failed save leaves the previous file as it was.
        """
        autodiff.save(self.state_dict(), path)

    def load(self, path: str | os.PathLike | BinaryIO, strict: bool = True) -> LoadResult:
        """Load a .safetensors or .npz file (a path or a binary file object; recognised by its
        first bytes) into the parameters, as load_state_dict does.

        Every entry's name, dtype and shape is checked before any data is read, so a corrupt,
        hostile or mismatched file is refused without allocating for it; pickles are refused
        (unpickling can run code). Either way no parameter changes.
        """
        try:
            arrays = autodiff.load_arrays(path, self.state_dict(), strict=strict)
        except NAMED as error:  # the user called load: say so, not load_arrays
            raise named(error, "load")  # noqa: B904 - named() keeps the cause where it differs
        return self.load_state_dict(arrays, strict=strict)

    # ----- printing ---------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The arguments shown inside this module's repr, e.g. "in_features=3, ..."."""
        return ""

    def __repr__(self) -> str:
        lines = self.extra_repr().split("\n") if self.extra_repr() else []
        children = [
            f"({name}): " + repr(child).replace("\n", "\n  ")
            for name, child in self._modules.items()
        ]
        if len(lines) == 1 and not children:
            return f"{type(self).__name__}({lines[0]})"
        body = "".join(f"\n  {line}" for line in lines + children)
        return f"{type(self).__name__}({body}\n)" if body else f"{type(self).__name__}()"


class ModuleList(Module):
    """A list of modules, registered under the names "0", "1", ... (it has no forward).

    >>> blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
    >>> len(blocks), [name for name, _ in blocks.named_parameters()][:2]
    (3, ['0.weight', '0.bias'])
    """

    def __init__(self, modules: Iterable[Module] = ()):
        super().__init__()
        self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        _expect(self, "append", module, Module)
        key = str(len(self._modules))
        self._modules[key] = module
        _extend_names(module, key)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index: int | slice) -> Any:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[_checked_index(self, index, len(modules))]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __repr__(self) -> str:
        """As PyTorch prints it: a run of modules that print alike shows once, as
        "(0-3): 4 x Head(...)"."""
        runs: list[list[Any]] = []  # [first index, last index, repr]
        for index, module in enumerate(self):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = index
            else:
                runs.append([index, index, text])
        if not runs:
            return f"{type(self).__name__}()"
        lines = []
        for first, last, text in runs:
            count = last - first + 1
            label = f"({first}):" if count == 1 else f"({first}-{last}): {count} x"
            lines.append(f"{label} " + text.replace("\n", "\n  "))
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules, registered under their keys (it has no forward): state_dict keys
    read ``<attribute>.<key>.<parameter>``, as PyTorch's.

    >>> heads = nn.ModuleDict({"mean": nn.Linear(4, 1), "scale": nn.Linear(4, 1)})
    >>> [name for name, _ in heads.named_parameters()][:2]
    ['mean.weight', 'mean.bias']
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] = ()):
        super().__init__()
        self.update(modules)

    def __setitem__(self, key: str, module: Module) -> None:
        _expect(self, "[key] =", module, Module)
        _check_key(self, key)
        self._modules[key] = module
        _extend_names(module, key)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> list[str]:
        return list(self._modules)

    def values(self) -> list[Module]:
        return list(self._modules.values())

    def items(self) -> list[tuple[str, Module]]:
        return list(self._modules.items())

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in pairs:
            self[key] = module


class ParameterList(Module):
    """A list of Parameters, registered under the names "0", "1", ... (state_dict keys
    ``<attribute>.0``, ..., as PyTorch's).

    >>> scales = nn.ParameterList([nn.Parameter(np.ones(2)) for _ in range(3)])
    >>> [name for name, _ in scales.named_parameters()]
    ['0', '1', '2']
    """

    def __init__(self, parameters: Iterable[Parameter] = ()):
        super().__init__()
        self.extend(parameters)

    def append(self, parameter: Parameter) -> ParameterList:
        _expect(self, "append", parameter, Parameter)
        key = str(len(self._parameters))
        self._parameters[key] = parameter
        if parameter.name is None:
            parameter.name = key
        return self

    def extend(self, parameters: Iterable[Parameter]) -> ParameterList:
        for parameter in parameters:
            self.append(parameter)
        return self

    def __getitem__(self, index: int | slice) -> Any:
        parameters = list(self._parameters.values())
        if isinstance(index, slice):
            return ParameterList(parameters[index])
        return parameters[_checked_index(self, index, len(parameters))]

    def __setitem__(self, index: int, parameter: Parameter) -> None:
        _expect(self, "[index] =", parameter, Parameter)
        keys = list(self._parameters)
        self._parameters[keys[_checked_index(self, index, len(keys))]] = parameter

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(list(self._parameters.values()))

    def extra_repr(self) -> str:
        return "\n".join(
            f"({key}): Parameter of shape {tuple(p.shape)}" for key, p in self._parameters.items()
        )


class ParameterDict(Module):
    """A dict of Parameters, registered under their keys (state_dict keys
    ``<attribute>.<key>``, as PyTorch's).

    >>> bias = nn.ParameterDict({"a": nn.Parameter(np.zeros(2))})
    >>> [name for name, _ in bias.named_parameters()]
    ['a']
    """

    def __init__(self, parameters: Mapping[str, Parameter] | Iterable[tuple[str, Parameter]] = ()):
        super().__init__()
        self.update(parameters)

    def __setitem__(self, key: str, parameter: Parameter) -> None:
        _expect(self, "[key] =", parameter, Parameter)
        _check_key(self, key)
        self._parameters[key] = parameter
        if parameter.name is None:
            parameter.name = key

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._parameters))

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def keys(self) -> list[str]:
        return list(self._parameters)

    def values(self) -> list[Parameter]:
        return list(self._parameters.values())

    def items(self) -> list[tuple[str, Parameter]]:
        return list(self._parameters.items())

    def pop(self, key: str) -> Parameter:
        return self._parameters.pop(key)

    def clear(self) -> None:
        self._parameters.clear()

    def update(self, parameters: Mapping[str, Parameter] | Iterable[tuple[str, Parameter]]) -> None:
        pairs = parameters.items() if isinstance(parameters, Mapping) else parameters
        for key, parameter in pairs:
            self[key] = parameter

    def extra_repr(self) -> str:
        return "\n".join(
            f"({key}): Parameter of shape {tuple(p.shape)}" for key, p in self._parameters.items()
        )


def _expect(container: Module, method: str, value: Any, kind: type) -> None:
    """Raise unless `value` is a `kind` (a Module or a Parameter) the container can hold."""
    if not isinstance(value, kind):
        raise TypeError(
            f"{type(container).__name__} {method}: expected a {kind.__name__}, got "
            f"{type(value).__name__}"
        )


def _checked_index(container: Module, index: int, length: int) -> int:
    if not -length <= index < length:
        raise IndexError(
            f"{type(container).__name__}: index {index} out of range; expected "
            f"-{length} <= index < {length}"
        )
    return index % length


def _check_key(container: Module, key: Any) -> None:
    if not isinstance(key, str) or not key or "." in key:
        raise KeyError(
            f"{type(container).__name__}: key {key!r}; expected a non-empty string without '.'"
        )


_RESERVED = {"training", "_parameters", "_modules", "_buffers"}


def _check_new_name(module: Module, name: str, value: Any) -> None:
    """Refuse a parameter or child name that could not be told apart from Module's own
    attributes or from a dotted path in named_parameters() and state_dict().
    """
    kind = "parameter" if isinstance(value, Parameter) else "child module"
    if not name or "." in name:
        raise KeyError(f"{type(module).__name__}: {kind} name {name!r}; expected no '.'")
    if name in _RESERVED or (hasattr(Module, name) and name not in module._modules):
        raise KeyError(
            f"{type(module).__name__}: {kind} name {name!r} is already an attribute of "
            f"Module; expected another name"
        )


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _extend_names(module: Module, key: str) -> None:
    """`module` was registered under `key`: a parameter below it still named by its path in
    `module` becomes `key.path`, so graph pictures and tape listings name parameters as the
    outermost module's named_parameters() does. A name the user gave stays."""
    for path, p in module.named_parameters():
        if p.name == path:
            p.name = f"{key}.{path}"


def _as_container(name: str, values: list | tuple | dict) -> Any:
    """A list or tuple of Modules as a ModuleList, of Parameters as a ParameterList, a dict of
    Modules as a ModuleDict, of Parameters as a ParameterDict (so that they are registered);
    other lists and dicts as they are. One mixing Modules or Parameters with other values is
    refused: its parameters would silently never be trained."""
    items = list(values.values()) if isinstance(values, dict) else list(values)
    modules = sum(isinstance(v, Module) for v in items)
    parameters = sum(isinstance(v, Parameter) for v in items)
    if modules == parameters == 0:
        return values
    kind = "Dict" if isinstance(values, dict) else "List"
    if modules != len(items) and parameters != len(items):
        raise TypeError(
            f"Module: attribute {name!r} is a {type(values).__name__} of {modules} Modules, "
            f"{parameters} Parameters and {len(items) - modules - parameters} other values, "
            f"whose parameters would not be found; expected only Modules (an "
            f"nn.Module{kind}) or only Parameters (an nn.Parameter{kind})"
        )
    if isinstance(values, dict):
        return ModuleDict(values) if modules else ParameterDict(values)
    return ModuleList(values) if modules else ParameterList(values)


def _refuse_hidden(module: Module) -> None:
    """Raise if one of module's attributes is a plain list, tuple or dict holding a Module or
    a Parameter (filled after it was assigned, which registers nothing)."""
    for name, value in vars(module).items():
        if isinstance(value, (list, tuple, dict)) and name not in _RESERVED:
            items = value.values() if isinstance(value, dict) else value
            if any(isinstance(v, (Module, Parameter)) for v in items):
                kind = "Dict" if isinstance(value, dict) else "List"
                raise TypeError(
                    f"{type(module).__name__}: attribute {name!r} is a plain "
                    f"{type(value).__name__} holding Modules or Parameters, added after it was "
                    f"assigned, so parameters() and state_dict() cannot find them; expected "
                    f"self.{name} = nn.Module{kind}() (or nn.Parameter{kind}()) to add to"
                )


def convert_checked(what: str, value: Any, like: np.ndarray) -> np.ndarray | str:
    """`value` as an array of like's shape and dtype, or a message saying why it cannot be:
    not real-valued, another shape, a dtype that does not cast (float to int), or values that
    the cast would change into inf or NaN, or wrap around (int64 to int8).
    """
    if isinstance(value, autodiff.Tensor):
        value = value.numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        return f"{what} is not an array ({type(value).__name__}: {error})"
    if array.dtype.kind not in "biuf" or not np.can_cast(array.dtype, like.dtype, "same_kind"):
        return f"{what} has dtype {array.dtype}; expected {like.dtype}"
    if array.shape != like.shape:
        return f"{what} has shape {array.shape}; expected {like.shape}"
    with np.errstate(over="ignore", invalid="ignore"):
        converted = array.astype(like.dtype)
    if like.dtype.kind == "f" and array.dtype.kind == "f":
        changed = (np.isinf(converted) & ~np.isinf(array)) | (
            np.isnan(converted) & ~np.isnan(array)
        )
        if changed.any():
            bad = array[changed].flat[0]
            return (
                f"{what} holds {np.count_nonzero(changed)} values that {like.dtype} cannot hold "
                f"(e.g. {bad}); expected values within ±{np.finfo(like.dtype).max}"
            )
    elif like.dtype.kind in "iu" and array.size:
        info = np.iinfo(like.dtype)
        low, high = int(array.min()), int(array.max())
        if low < info.min or high > info.max:
            return f"{what} holds {low}..{high}; expected values within {info.min}..{info.max}"
    return converted
