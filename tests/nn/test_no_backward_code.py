"""The rule that nn holds no backward code, checked on the source of every file under nn/.

nn composes autodiff's public ops and never differentiates by hand: no function named like a
backward pass, no @primitive or defvjp, no import of the engine's internals (the file helpers
of autodiff.serialization are not the engine), and only the
optimisers, gradient clipping (nn.utils), zero_grad and Module's dtype conversion touch a
parameter's .grad.
"""

import ast
from pathlib import Path

import pytest

import autodiff

NN = Path(__file__).resolve().parents[2] / "nn"
FILES = sorted(NN.rglob("*.py"))
BACKWARD_NAMES = {"backward", "_backward", "vjp", "grad_fn"}
ENGINE_HOOKS = {"defvjp", "primitive"}
PUBLIC = set(autodiff.__all__) - {"primitive", "Sample"}
# Not the engine: the temporary-file helpers that serve nn.datasets' downloads, and the error
# types with the decorator that names a public function in its errors.
NOT_ENGINE = {"autodiff.serialization", "autodiff.errors"}


def violations(source: str, relative: str) -> list[str]:
    """Every place in `source` (the file nn/`relative`) that breaks the rule."""
    found = []
    tree = ast.parse(source)
    may_read_grad = relative.startswith(("optim/", "utils/"))  # optimisers, gradient clipping
    grad_clearers = set()
    if relative == "module.py" or may_read_grad:
        grad_clearers = {
            id(node)
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef) and fn.name in ("zero_grad", "_cast")
            for node in ast.walk(fn)
        }
    for node in ast.walk(tree):
        where = f"nn/{relative}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
            node.name in BACKWARD_NAMES
        ):
            found.append(f"{where} defines {node.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("autodiff."):
                    found.append(f"{where} imports {alias.name}")
        elif (
            isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("autodiff")
        ):
            if node.module in NOT_ENGINE:
                continue
            if node.module != "autodiff":
                found.append(f"{where} imports from {node.module}")
            for alias in node.names:
                if alias.name not in PUBLIC and f"autodiff.{alias.name}" not in NOT_ENGINE:
                    found.append(f"{where} imports autodiff.{alias.name}")
        elif isinstance(node, ast.Name) and node.id in ENGINE_HOOKS:
            found.append(f"{where} uses {node.id}")
        elif isinstance(node, ast.Attribute):
            if node.attr in ENGINE_HOOKS or node.attr in {"tape", "ops"}:
                found.append(f"{where} uses .{node.attr}")
            elif node.attr == "grad" and id(node) not in grad_clearers:
                if not may_read_grad:
                    found.append(f"{where} touches .grad outside nn/optim and zero_grad")
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(NN)))
def test_nn_file_holds_no_backward_code(path):
    assert violations(path.read_text(), path.relative_to(NN).as_posix()) == []


def test_the_scan_sees_the_package():
    names = {p.relative_to(NN).as_posix() for p in FILES}
    assert {"module.py", "functional.py", "optim/sgd.py", "optim/adam.py"} <= names


BAD = {
    "def backward(self, g):\n    return g\n": "defines backward",
    "class F:\n    def vjp(self):\n        pass\n": "defines vjp",
    "from autodiff.primitive import primitive\n": "imports from autodiff.primitive",
    "import autodiff.tape\n": "imports autodiff.tape",
    "from autodiff import primitive\n": "imports autodiff.primitive",
    "import autodiff\nop = autodiff.primitive(f)\n": "uses .primitive",
    "square.defvjp(lambda saved, g: (2 * g,))\n": "uses .defvjp",
    "import autodiff\nautodiff.tape.state.enabled = False\n": "uses .tape",
    "def step(p):\n    p.grad.data *= 0\n": "touches .grad outside nn/optim",
}


@pytest.mark.parametrize("source", list(BAD))
def test_the_scan_catches_each_kind_of_violation(source):
    found = violations(source, "layers.py")
    assert any(BAD[source] in message for message in found), found


def test_zero_grad_may_clear_grad_and_optimisers_may_read_it():
    clear = "class M:\n    def zero_grad(self):\n        self.w.grad = None\n"
    assert violations(clear, "module.py") == []
    assert violations(clear.replace("zero_grad", "reset"), "module.py") != []
    assert violations("def step(p):\n    return p.grad.data\n", "optim/sgd.py") == []
