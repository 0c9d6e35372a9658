"""The environment the settings are read from, held so that no error report shows it.

A tool is often built when a program starts, from an environment that holds the Slack
token. When a setting is refused there (a mistyped SLACK_API_URL, HTTPS_PROXY or HTTP
stack), an error reporter with its defaults (Sentry's ``include_local_variables``) sends
every local of every frame the error passed through, and walks a mapping into its
values: ``os.environ``, or the caller's ``environ=`` dict, would go with the token in
it. The package's frames hold an ``Environment`` instead: no mapping, and its repr names
no value. Readers need only ``Variables``, which a plain dict is too (for tests).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NoReturn, Protocol


class Variables(Protocol):
    """What reading settings needs of an environment: a variable's value by its name."""

    def get(self, name: str, /) -> str | None: ...

    def __contains__(self, name: object, /) -> bool: ...


class Environment:
    """Environment variables by name (``os.environ`` unless given); never shown or walked."""

    __slots__ = ("_variables",)

    def __init__(self, variables: Mapping[str, str] | Environment | None = None) -> None:
        if isinstance(variables, Environment):
            variables = variables._variables
        self._variables: Mapping[str, str] = os.environ if variables is None else variables

    @classmethod
    def of(cls, environ: Mapping[str, str] | Environment | None) -> Environment:
        """``environ`` held as an Environment (None: the process's own)."""
        return environ if isinstance(environ, Environment) else cls(environ)

    def get(self, name: str, /) -> str | None:
        return self._variables.get(name)

    def __contains__(self, name: object, /) -> bool:
        return name in self._variables

    def with_value(self, name: str, value: str) -> Environment:
        """A copy with ``name`` set to ``value``; this one is left as it is."""
        return Environment({**self._variables, name: value})

    def __repr__(self) -> str:
        return "Environment(values not shown)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("an Environment cannot be pickled: it would write its secrets out")
