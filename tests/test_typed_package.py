"""The package says it is typed (PEP 561): a caller's mypy reads its hints only with py.typed."""

from __future__ import annotations

from pathlib import Path

import ocp_users_photo

PACKAGE = Path(ocp_users_photo.__file__).parent
# The installed package (in CI a wheel in site-packages, so this checks what ships) and the
# repository's pyproject.toml, beside tests/.
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_package_carries_the_py_typed_marker() -> None:
    # Without it, `mypy --strict` on code importing ocp_users_photo stops at the import:
    # "module is installed, but missing library stubs or py.typed marker".
    assert '"Typing :: Typed"' in PYPROJECT.read_text(encoding="utf-8")
    assert (PACKAGE / "py.typed").is_file()
