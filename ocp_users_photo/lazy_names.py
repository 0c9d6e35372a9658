"""A package's names imported on first use (PEP 562), so importing the package costs little.

_HOMES = {"UsersSetPhoto": "ocp_users_photo.tool"}  # each name's module
__getattr__, __dir__ = lazy_attributes(__name__, _HOMES, __all__)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from typing import Any


def lazy_attributes(
    package: str, homes: Mapping[str, str], public: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``package``'s ``__getattr__`` and ``__dir__``; ``homes`` maps each name to its module."""
    namespace = vars(sys.modules[package])

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(home), name)
        namespace[name] = value  # later lookups are plain module attributes
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(public))

    return __getattr__, __dir__


def installed(module: str) -> bool:
    """Whether top-level ``module`` can be imported, found without importing it."""
    if module in sys.modules:
        return sys.modules[module] is not None
    from importlib.util import find_spec

    return find_spec(module) is not None
