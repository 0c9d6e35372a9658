"""Forwarded: a read-only attribute that shows the same-named attribute of something held.

    class UsersSetPhoto:
        method = Forwarded[str]("spec")                     # tool.method is tool.spec.method
        parameters = Forwarded[dict[str, Any]]("spec", thaw)  # a fresh, editable copy

One typed line in place of a ``@property`` whose body only reads
``self.<holder>.<name>``: mypy and editors see the attribute's type (``str`` above),
and setting it raises ``AttributeError``, as setting a property without a setter does.
Not for a member a Protocol declares as a property (``ToolDefinition``'s ``name``,
``description``, ``input_schema``): pyright matches those to a property only, so a
class holding a Forwarded there is not of the protocol to a pyright user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, NoReturn, TypeVar, overload

_Value = TypeVar("_Value")


class Forwarded(Generic[_Value]):
    """``obj.<name>`` reads ``obj.<holder>.<name>``, passed through ``convert`` if given."""

    __slots__ = ("convert", "holder", "name")

    def __init__(self, holder: str, convert: Callable[[Any], _Value] | None = None) -> None:
        self.holder = holder
        self.convert = convert
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Forwarded[_Value]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _Value: ...

    def __get__(self, instance: object, owner: type | None = None) -> _Value | Forwarded[_Value]:
        if instance is None:
            return self
        value = getattr(getattr(instance, self.holder), self.name)
        return value if self.convert is None else self.convert(value)

    def __set__(self, instance: object, value: NoReturn) -> NoReturn:
        raise AttributeError(
            f"{type(instance).__name__}.{self.name} is read-only: it shows "
            f"{self.holder}.{self.name}"
        )

    def __repr__(self) -> str:
        return f"Forwarded({self.holder}.{self.name})"
