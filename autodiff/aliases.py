"""PyTorch's module paths: autodiff.nn, autodiff.optim and autodiff.utils.data are the nn
package, nn.optim and nn.data, imported only when first used.

`import autodiff` never imports nn (nn is built on autodiff's public API, not the reverse);
`autodiff.nn`, `import autodiff.nn.functional as F` and `from autodiff.utils.data import
DataLoader` reach the very same modules as `nn`, `nn.functional` and `nn.data`.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types
from typing import Any

# a path under autodiff -> the module it names; deeper paths follow (autodiff.nn.init -> nn.init)
_TARGETS = {"autodiff.nn": "nn", "autodiff.optim": "nn.optim", "autodiff.utils.data": "nn.data"}
_UTILS = "autodiff.utils"


def target(name: str) -> str | None:
    """The real module behind the alias `name`, or None if it is not one."""
    for alias, real in _TARGETS.items():
        if name == alias or name.startswith(alias + "."):
            return real + name[len(alias) :]
    return None


class _Finder:
    """Finds the alias modules: each is the real module itself, imported on demand.

    A meta path finder and loader by its methods alone: importlib.abc, its base classes,
    would import importlib.resources and pathlib with autodiff (about 9 ms)."""

    def find_spec(self, name: str, path: Any = None, target_module: Any = None) -> Any:
        if name != _UTILS and target(name) is None:
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        if spec.name == _UTILS:
            utils = types.ModuleType(_UTILS, "PyTorch's torch.utils: only utils.data (nn.data).")
            utils.__path__ = []
            return utils
        real = importlib.import_module(target(spec.name))
        spec.loader_state = real.__spec__  # the import system sets __spec__: restored below
        return real

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run (the real module ran when it was imported); its own spec back."""
        if module.__spec__.loader_state is not None:
            module.__spec__ = module.__spec__.loader_state


def install() -> None:
    """Let the import system find the aliases (once)."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


def module(name: str) -> types.ModuleType:
    """autodiff.<name> for the attribute access autodiff.nn, autodiff.optim, autodiff.utils."""
    return importlib.import_module(f"autodiff.{name}")
