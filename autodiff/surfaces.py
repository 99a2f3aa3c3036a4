"""The Tensor methods and the functions of `autodiff`, `autodiff.numpy` and `nn.functional`,
made from the op table (autodiff/optable.py).

Each is written out as the few lines of Python one would write by hand, e.g.

    def sum(input, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None, ...):
        axis, keepdims = _torch_dims('sum', dim, keepdim, axis, keepdims)
        return _apply(_impl_sum, _as_tensor(input), axis=axis, keepdims=keepdims)

and a surface's functions are compiled together, so that `help()`, `inspect.signature` and
tracebacks show real parameters and a real line (the source is registered with linecache
under `<optable: autodiff>` and the like). Made when the program runs rather than by a
generator whose output is checked in: the table stays the only place an op is declared, and
nothing generated can go stale or conflict in a merge.

What that costs is kept off `import autodiff`: the Tensor methods and the `autodiff` functions
are made at import, `autodiff.numpy` and `nn.functional` when first asked for (ops_for), and
each surface's compiled code is cached as Python caches a module's (see _compiled).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import inspect
import linecache
import marshal
import os
import sys
import threading
from collections.abc import Callable, Collection
from types import CodeType
from typing import Any

from autodiff import numpy_meaning
from autodiff.creation import as_tensor
from autodiff.errors import NAMED, named, named_errors
from autodiff.inplace import apply_inplace
from autodiff.optable import COMPARE, FLOAT, MEAN, PROMOTE, TABLE, Op, Spelling
from autodiff.primitive import Primitive
from autodiff.spelling import correction, numpy_dims, torch_dims
from autodiff.tensor import Tensor, floating, promoted

SURFACES = ("Tensor", "autodiff", "autodiff.numpy", "nn.functional", "nn")
_GROUPS = {  # the surfaces made together: autodiff's own at import, the others on first use
    "Tensor": ("Tensor", "autodiff"),
    "autodiff": ("Tensor", "autodiff"),
    "autodiff.numpy": ("autodiff.numpy",),
    "nn.functional": ("nn.functional", "nn"),
    "nn": ("nn.functional", "nn"),  # nn's modules apply nn.functional's very functions
}
_FUTURE = annotations.compiler_flag  # the feature imported above: annotations stay text

_HELPERS = {
    "_apply": Tensor.apply,
    "_as_tensor": as_tensor,
    "_floating": floating,
    "_promoted": promoted,
    "_torch_dims": torch_dims,
    "_numpy_dims": numpy_dims,
    "_correction": correction,
    "_tensor": numpy_meaning.tensor,
    "_weak": numpy_meaning.weak,
    "_numpy_floating": numpy_meaning.floating,
    "_averaged": numpy_meaning.averaged,
    "_inplace": apply_inplace,
    "_NAMED": NAMED,
    "_named": named,
}

# How each surface reads the tensor argument {x} (and a binary op's other operand {y}), by the
# entry's dtype policy: (Tensor method, PyTorch-speaking function, autodiff.numpy function).
_READ = {
    FLOAT: ("_floating({x})", "_floating(_as_tensor({x}))", "_numpy_floating({x})"),
    MEAN: ("{x}", "_as_tensor({x})", "_averaged({x})"),
    PROMOTE: ("*_promoted({x}, {y})", "*_promoted({x}, {y})", "_weak({x}), _weak({y})"),
    COMPARE: ("*_promoted({x}, {y})", "*_promoted(_as_tensor({x}), {y})", "_weak({x}), _weak({y})"),
}
_KEEP = ("{x}", "_as_tensor({x})", "_tensor({x})")
_LITERALS = (type(None), bool, int, float, str)
_PROPERTIES = {op.name for op in TABLE if op.property}  # a getter's AttributeError means 'absent'
_PARSED: dict[str, list[inspect.Parameter]] = {}


def _parse(text: str) -> list[inspect.Parameter]:
    """The parameters of a parameter list written as source: "dim: int = -1, *, axis=None"."""
    if text not in _PARSED:
        namespace: dict[str, Any] = {}
        exec(compile(f"def f({text}): pass", "<optable>", "exec", _FUTURE, True), namespace)
        _PARSED[text] = list(inspect.signature(namespace["f"]).parameters.values())
    return _PARSED[text]


@functools.cache
def _signature(fn: Callable[..., Any]) -> inspect.Signature:
    """fn's signature, read once however many surfaces and aliases use it."""
    return inspect.signature(fn)


def _after_first(fn: Callable[..., Any], fixed: dict[str, Any]) -> list[inspect.Parameter]:
    """fn's parameters after the tensor, less those the entry fixes."""
    parameters = list(_signature(fn).parameters.values())[1:]
    return [p for p in parameters if p.name not in fixed]


def _passed(parameters: list[inspect.Parameter], by_keyword: bool = False) -> str:
    """The arguments that pass each parameter on to what a wrapper wraps."""
    arguments = []
    for p in parameters:
        if p.kind is p.VAR_POSITIONAL:
            arguments.append(f"*{p.name}")
        elif p.kind is p.VAR_KEYWORD:
            arguments.append(f"**{p.name}")
        elif p.kind is p.KEYWORD_ONLY or by_keyword:
            arguments.append(f"{p.name}={p.name}")
        else:
            arguments.append(p.name)
    return ", ".join(arguments)


def _doc(op: Op) -> str:
    """The entry's docstring: its own, or the composite's (a primitive's states its forward)."""
    doc = op.doc or ("" if isinstance(op.impl, Primitive) else inspect.getdoc(op.impl))
    if not doc:
        raise TypeError(
            f"optable: {op.name} has no docstring; expected doc= (or a docstring on a composite)"
        )
    return doc


def _spelling(op: Op) -> Spelling:
    """The entry's spelling of the arguments after the tensor, the same in both libraries
    where it is one parameter list."""
    if isinstance(op.args, Spelling):
        return op.args
    return Spelling(torch=op.args or "", numpy=op.args or "")


def _returns(op: Op) -> str:
    """What the generated function returns, as its annotation: a composite's own."""
    if isinstance(op.impl, Primitive):
        return "Tensor"
    annotation = _signature(op.impl).return_annotation
    return "Any" if annotation is inspect.Signature.empty else str(annotation)


class _Surface:
    """The functions of one surface, written out as source and compiled together."""

    def __init__(self, name: str):
        self.name = name
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = dict(_HELPERS)
        self.docs: dict[str, str] = {}
        self.written: dict[str, Callable[..., Any]] = {}  # functions used as they are

    def claim(self, name: str) -> None:
        if name in self.docs or name in self.written:
            raise TypeError(f"optable: {self.name}.{name} is declared twice")

    def given(self, fn: Callable[..., Any]) -> None:
        """Add a function written by hand (numpy's meaning of a name), used as it is."""
        self.claim(fn.__name__)
        self.written[fn.__name__] = fn

    def define(
        self,
        name: str,
        parameters: list[inspect.Parameter],
        body: list[str],
        doc: str,
        values: dict[str, Any],
        returns: str = "Tensor",
    ) -> None:
        """Add `def name(parameters) -> returns: body`; `values` are the names its body and
        defaults use."""
        self.claim(name)
        rendered = []
        for i, p in enumerate(parameters):
            if p.kind is p.KEYWORD_ONLY and not any(
                q.kind in (q.KEYWORD_ONLY, q.VAR_POSITIONAL) for q in parameters[:i]
            ):
                rendered.append("*")
            text = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name
            if p.annotation is not p.empty:
                text += f": {p.annotation}"
            if p.default is not p.empty:
                if type(p.default) in _LITERALS:
                    text += f" = {p.default!r}"
                else:  # a value with no literal: the default is the object itself
                    values[f"_default_{name}_{p.name}"] = p.default
                    text += f" = _default_{name}_{p.name}"
            rendered.append(text)
        self.lines.append(f"def {name}({', '.join(rendered)}) -> {returns}:")
        if name.startswith("__") or name in _PROPERTIES:  # Python's protocols: errors as they are
            self.lines.extend(f"    {line}" for line in body)
        else:  # a bad argument's error names the function the user called (errors.named)
            self.lines.append("    try:")
            self.lines.extend(f"        {line}" for line in body)
            self.lines.append("    except _NAMED as error:")
            self.lines.append(f"        raise _named(error, {name!r})")
        self.lines.append("")
        self.namespace.update(values)
        self.docs[name] = doc

    def compile(self, cache: bool = False) -> dict[str, Any]:
        """The functions, compiled (or read from the cache, with `cache`), named and
        documented."""
        source = "\n".join(self.lines) + "\n"
        filename = f"<optable: {self.name}>"  # anomaly.py skips the frames of these files
        exec(_compiled(self.name, source, filename, cache), self.namespace)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        made = {}
        for name, doc in self.docs.items():
            fn = self.namespace[name]
            fn.__doc__ = doc
            fn.__module__ = "autodiff.tensor" if self.name == "Tensor" else self.name
            fn.__qualname__ = f"Tensor.{name}" if self.name == "Tensor" else name
            made[name] = fn
        return {**made, **self.written}


# Compiling the few thousand generated lines took a third of autodiff's import, so the code
# is cached as Python caches a module's bytecode, beside surfaces.py's own (in __pycache__, or
# under PYTHONPYCACHEPREFIX), one file per surface. A cached surface is used only where the
# source it was compiled from is, character for character, the source made now from the table,
# compiled by the same Python with the same -O and flags: it cannot be stale, whatever changed.
# It is written as a temporary file renamed over the old one, so a reader never sees part of a
# file; not at all where Python is told not to write bytecode (-B, PYTHONDONTWRITEBYTECODE);
# and a place that cannot be written or read (a read-only install) only means compiling.
def _cache_path(surface: str) -> str | None:
    """Where the compiled code of `surface` is kept; None where Python keeps no bytecode."""
    try:
        directory = os.path.dirname(importlib.util.cache_from_source(__file__))
    except (NotImplementedError, ValueError):  # no cache tag, or no place for one
        return None
    return os.path.join(directory, f"optable-{surface}.{sys.implementation.cache_tag}.marshal")


def _compiled(surface: str, source: str, filename: str, cache: bool) -> CodeType:
    """`source` compiled, from the cache where it holds this very source."""
    key = (sys.version, sys.flags.optimize, _FUTURE, filename, source)  # all compile reads
    path = _cache_path(surface) if cache else None
    if path is not None:
        try:
            with open(path, "rb") as file:
                stored, code = marshal.load(file)
            if stored == key and isinstance(code, CodeType):
                return code
        except (OSError, EOFError, ValueError, TypeError):  # absent, unreadable, or not ours
            pass
    code = compile(source, filename, "exec", _FUTURE, True)
    if path is not None and not sys.dont_write_bytecode:
        _write_replacing(path, marshal.dumps((key, code)))
    return code


def _write_replacing(path: str, data: bytes) -> None:
    """`data` into a temporary file renamed to `path`; nothing where that cannot be done."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "xb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(temporary)


def _tensor_parameter(name: str) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _define(
    surface: _Surface, op: Op, name: str, first: str, column: int
) -> list[inspect.Parameter]:
    """Define `name` for entry `op` on a surface whose tensor parameter is `first`; column is
    0 for the Tensor method, 1 for a PyTorch-speaking function, 2 for autodiff.numpy."""
    spelling = _spelling(op)
    composite = not isinstance(op.impl, Primitive)
    reads = ""
    if column == 2 and op.numpy_args is None and not (spelling.numpy_reads or composite):
        first = "x"  # numpy's name for a ufunc's input
    if column == 2 and op.numpy_args is not None:  # numpy's names, passed on in order
        parsed = _parse(op.numpy_args)
        first, parameters = parsed[0].name, parsed[1:]
        passes = _passed(parameters)
    elif op.property:  # a getter: the tensor alone
        parameters, passes = [], ""
    elif composite and op.args is None:  # a composite spelled by its own signature
        parameters = _after_first(op.impl, op.fixed)
        passes = _passed(parameters)
    else:
        parameters = _parse(spelling.numpy if column == 2 else spelling.torch)
        reads = spelling.numpy_reads if column == 2 else spelling.torch_reads
        passes = spelling.passes or _passed(parameters, by_keyword=True)
    read = _READ.get(op.dtype, _KEEP)[column]
    if op.dtype in (PROMOTE, COMPARE):  # the first parameter is the second operand
        read, passes = read.format(x=first, y=parameters[0].name), ""
    else:
        read = read.format(x=first)
    impl = f"_impl_{name}"
    values = {impl: op.impl}
    fixed = []
    for key, value in op.fixed.items():
        values[f"_fixed_{name}_{key}"] = value
        fixed.append(f"{key}=_fixed_{name}_{key}")
    arguments = ", ".join(part for part in (read, passes, *fixed) if part)
    call = f"_apply({impl}, {arguments})" if not composite else f"{impl}({arguments})"
    body = reads.format(name=name).split("\n") if reads else []
    body.append(f"return {call}")
    parameters = [_tensor_parameter(first), *parameters]
    surface.define(name, parameters, body, _doc(op), values, _returns(op))
    return parameters[1:]


def _define_as_is(surface: _Surface, op: Op, name: str) -> None:
    """A function-only composite: its own parameters, passed on as they are."""
    parameters = list(_signature(op.impl).parameters.values())
    body = [f"return _impl_{name}({_passed(parameters)})"]
    surface.define(name, parameters, body, _doc(op), {f"_impl_{name}": op.impl}, _returns(op))


def _define_inplace(surface: _Surface, op: Op, name: str, parameters: list[Any]) -> None:
    """Tensor.<name>_: the method <name>'s result written into the tensor itself."""
    passes = _passed(parameters)
    arguments = ", ".join(part for part in ("self", repr(f"{name}_"), name, passes) if part)
    doc = f"In place, never recorded: {_doc(op)}"
    body = [f"return _inplace({arguments})"]
    surface.define(f"{name}_", [_tensor_parameter("self"), *parameters], body, doc, {})


def build(
    table: list[Op], wanted: Collection[str] = SURFACES, cache: bool = False
) -> dict[str, dict[str, Any]]:
    """The `wanted` surfaces' names, each made once from its entry of `table` ("nn" comes
    with "nn.functional"); `cache`: the compiled code may be cached (the full table's)."""
    if "nn" in wanted:
        wanted = {*wanted, "nn.functional"}
    surfaces = {name: _Surface(name) for name in SURFACES if name in wanted}
    tensor, functions = surfaces.get("Tensor"), surfaces.get("autodiff")
    numpy, functional = surfaces.get("autodiff.numpy"), surfaces.get("nn.functional")
    modules = {}
    for op in table:
        for name in (op.name, *op.aliases):
            if op.method and tensor is not None:
                parameters = _define(tensor, op, name, "self", 0)
                if op.inplace:
                    _define_inplace(tensor, op, name, parameters)
            if op.function and functions is not None:
                if op.method:
                    _define(functions, op, name, "input", 1)
                else:
                    _define_as_is(functions, op, name)
        if op.functional and functional is not None:
            if op.method:
                _define(functional, op, op.name, "input", 1)
            else:
                _define_as_is(functional, op, op.name)
        if op.module is not None:
            modules[op.module] = op.name
        if op.numpy is not None and numpy is not None:
            if not isinstance(op.numpy, (str, tuple)):  # numpy's meaning, written by hand:
                numpy.given(op.numpy)  # used as it is
            else:
                for name in (op.numpy,) if isinstance(op.numpy, str) else op.numpy:
                    _define(numpy, op, name, "a", 2)
    made = {name: surface.compile(cache) for name, surface in surfaces.items() if name != "nn"}
    if "nn" in surfaces:
        made["nn"] = {module: made["nn.functional"][name] for module, name in modules.items()}
    return made


SURFACE = build(TABLE, _GROUPS["Tensor"], cache=True)  # the others: on first use, by ops_for
_BUILDING = threading.Lock()  # one thread makes a surface group; any other waits and uses it
for _op in TABLE:  # a property's getter becomes the property
    if _op.property:
        SURFACE["Tensor"][_op.name] = property(SURFACE["Tensor"][_op.name])
for _name, _method in SURFACE["Tensor"].items():
    if _name in vars(Tensor):
        raise TypeError(f"optable: Tensor.{_name} is declared in the table and in the class")
    setattr(Tensor, _name, _method)


@named_errors
def ops_for(surface: str) -> dict[str, Any]:
    """The names the op table makes for one surface: "autodiff", "autodiff.numpy",
    "nn.functional", "Tensor", or "nn" (the activation modules' class names, each with the
    nn.functional function it applies)."""
    if surface not in _GROUPS:
        raise ValueError(f"ops_for: unknown surface {surface!r}; expected one of {SURFACES}")
    if surface not in SURFACE:
        with _BUILDING:
            if surface not in SURFACE:
                SURFACE.update(build(TABLE, _GROUPS[surface], cache=True))
    return dict(SURFACE[surface])
