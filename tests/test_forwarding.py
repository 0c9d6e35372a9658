"""Forwarded attributes read what they forward to, and cannot be set; the package's lazy names."""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import ocp_users_photo
from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.forwarding import Forwarded
from ocp_users_photo.lazy_names import installed
from ocp_users_photo.spec import thaw


@dataclass
class Held:
    title: str = "first"
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "object"})


class Holder:
    title = Forwarded[str]("held")
    schema = Forwarded[dict[str, Any]]("held", thaw)

    def __init__(self) -> None:
        self.held = Held()


def test_an_attribute_reads_the_held_objects_attribute_of_the_same_name_each_time() -> None:
    holder = Holder()
    assert holder.title == "first"
    holder.held.title = "second"
    assert holder.title == "second"


def test_a_converted_attribute_is_a_fresh_copy_each_time() -> None:
    holder = Holder()
    holder.schema["type"] = "string"
    assert holder.schema == {"type": "object"}
    assert holder.held.schema == {"type": "object"}


def test_setting_a_forwarded_attribute_is_refused_as_for_a_read_only_property() -> None:
    tool = UsersSetPhoto(environ={})
    with pytest.raises(
        AttributeError, match=r"UsersSetPhoto\.operation_id is read-only: it shows spec"
    ):
        tool.operation_id = "other"  # type: ignore[assignment]
    assert tool.operation_id == "users_setPhoto"


def test_on_the_class_the_descriptor_itself_says_what_it_shows() -> None:
    assert repr(UsersSetPhoto.operation_id) == "Forwarded(spec.operation_id)"


def test_the_package_imports_a_name_on_first_use_and_refuses_unknown_ones() -> None:
    assert ocp_users_photo.UsersSetPhoto is UsersSetPhoto
    assert "UsersSetPhoto" in dir(ocp_users_photo)
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchName'"):
        _ = ocp_users_photo.NoSuchName
    # In a fresh interpreter: the tool's module loads when the name is first read, and
    # the name is then a plain module attribute.
    script = (
        "import sys, ocp_users_photo as p\n"
        "before = 'ocp_users_photo.tool' in sys.modules\n"
        "p.UsersSetPhoto\n"
        "print(before, 'ocp_users_photo.tool' in sys.modules, 'UsersSetPhoto' in vars(p))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert ran.stdout.split() == ["False", "True", "True"]


@pytest.mark.parametrize("package", ["ocp_users_photo", "ocp_users_photo.web_image"])
def test_every_public_name_of_a_lazy_package_resolves(package: str) -> None:
    # Imported on first use, a name whose home moved would fail only when a caller reads
    # it; each is read here, so a stale _HOMES entry fails the suite instead.
    module = importlib.import_module(package)
    public = list(module.__all__)
    assert public, "the package lists its public names"
    for name in public:
        assert getattr(module, name) is not None, name
    assert set(public) <= set(dir(module))
    # Without ocp-agent (not on the package index) the package leaves OCPAgent out of
    # __all__ on purpose (a star import would fail on it): the one lazy name not listed.
    unlisted = (
        {"OCPAgent"} if package == "ocp_users_photo" and not installed("ocp_agent") else set()
    )
    assert set(module._HOMES) - set(public) == unlisted, "every lazy name is a public one"


def test_the_readmes_example_of_a_forwarded_attribute_is_one() -> None:
    """README's map of the package gave `tool.name` as Forwarded's example: name became a
    property (the protocol's, for pyright), and the example a false statement."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    said = re.search(
        r"`Forwarded`, the typed read-only attribute [^(]*\(`tool\.(\w+)` is\s+`tool\.spec\.(\w+)`",
        readme,
    )
    assert said is not None, "README no longer gives Forwarded an example"
    shown, held = said.groups()
    assert shown == held
    assert isinstance(inspect.getattr_static(UsersSetPhoto, shown), Forwarded)
