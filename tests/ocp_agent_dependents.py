"""A pytest plugin that keeps only the tests whose code may meet ocp-agent.

test_quick_start_without_ocp_agent.py runs, with ocp-agent hidden, every test file that
names it; most of those files' tests never reach it and run the same there as in the suite
itself (the suite runs them all). Every file is still collected whole (an import of
ocp-agent at a module's top fails its collection); of its tests, this keeps those whose
reach names ocp-agent, the package's public names or an agent: the test's own source, with
its decorators and its parameters' names, its fixtures' and, followed name by name, the sources of
the functions and classes of tests/ it refers to. A module whose own top-level statements
(other than imports and definitions) name it keeps all its tests.
"""

from __future__ import annotations

import ast
import inspect
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest

TESTS: Final = Path(__file__).resolve().parent
# What code that may behave otherwise without ocp-agent names: the library, the package's
# public names (OCPAgent is left out of __all__ without it), an agent (the stand-in, a
# helper choosing between the two) and register, whose definitions come from ocp-agent's
# where it is installed.
MAY_MEET_OCP_AGENT: Final = re.compile(
    r"OCPAgent|ocp_agent|__all__|standin_agent|StandIn|an_agent|\bregister\b|installed\("
)


def _source(thing: Any) -> str:
    try:
        return inspect.getsource(thing)
    except (OSError, TypeError):
        return ""


def _ours(thing: Any) -> bool:
    """Defined in a module of tests/: the code the test brings, followed further."""
    module = inspect.getmodule(thing)
    where = getattr(module, "__file__", None)
    return where is not None and Path(where).resolve().is_relative_to(TESTS)


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _codes(constant)


def _functions_of(thing: Any) -> Iterator[types.FunctionType]:
    if isinstance(thing, types.FunctionType):
        yield thing
    elif isinstance(thing, type):
        for member in vars(thing).values():
            member = getattr(member, "__func__", member)
            if isinstance(member, property):
                member = member.fget
            if isinstance(member, types.FunctionType):
                yield member


def reaches(function: Any, seen: set[int] | None = None) -> bool:
    """Whether ``function``'s source, or that of the tests/ code it names, may meet
    ocp-agent."""
    seen = set() if seen is None else seen
    function = inspect.unwrap(function)
    if id(function) in seen:
        return False
    seen.add(id(function))
    if MAY_MEET_OCP_AGENT.search(_source(function)):
        return True
    for inner in _functions_of(function):
        namespace = inner.__globals__
        for code in _codes(inner.__code__):
            for name in code.co_names:
                found = namespace.get(name)
                if (
                    isinstance(found, (types.FunctionType, type))
                    and _ours(found)
                    and reaches(found, seen)
                ):
                    return True
    return False


def _module_top_names_it(module: types.ModuleType) -> bool:
    tree = ast.parse(_source(module))
    definitions = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return any(
        MAY_MEET_OCP_AGENT.search(ast.unparse(statement))
        for statement in tree.body
        if not isinstance(statement, definitions)
    )


def may_meet_ocp_agent(item: pytest.Item) -> bool:
    """Whether ``item``'s test, its fixtures or its parameters may meet ocp-agent."""
    function = getattr(item, "function", None)
    module = getattr(item, "module", None)
    if function is None or module is None or _module_top_names_it(module):
        return True
    callspec = getattr(item, "callspec", None)
    if callspec is not None and MAY_MEET_OCP_AGENT.search(callspec.id):
        return True
    if reaches(function):
        return True
    fixture_info = getattr(item, "_fixtureinfo", None)
    definitions = getattr(fixture_info, "name2fixturedefs", {})
    return any(
        _ours(definition.func) and reaches(definition.func)
        for name in getattr(item, "fixturenames", ())
        for definition in definitions.get(name, ())
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept = [item for item in items if may_meet_ocp_agent(item)]
    left = [item for item in items if item not in kept]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
