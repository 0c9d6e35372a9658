"""How every message says to install an optional extra.

The package is not on the package index yet, so ``pip install 'ocp-users-photo[mcp]'``
alone finds nothing there (or, worse, a package someone else published under the name):
the advice names the clone's form first, and the index's for once it is published.
"""

from __future__ import annotations


def install_command(extra: str, *, upgrade: bool = False) -> str:
    """The pip command that installs ``extra``, from a clone and from the package index."""
    pip = "pip install -U" if upgrade else "pip install"
    return (
        f"{pip} '.[{extra}]' in a clone of the repository "
        f"(once the package is on the index: {pip} 'ocp-users-photo[{extra}]')"
    )


def missing_extra(extra: str, error: ModuleNotFoundError) -> ImportError:
    """The ImportError a module of ``extra`` raises when one of its packages is missing."""
    return ImportError(
        f"the {extra} extra is not installed ({error.name or extra} is missing): "
        + install_command(extra)
    )


def require_release(
    package: str, version: str, minimum: tuple[int, int], extra: str, why: str
) -> None:
    """ImportError naming ``extra`` (to install with -U) when ``version`` of ``package`` is
    older than ``minimum``: another package may have installed an older one."""
    parts = [int(part) for part in version.split(".")[:2] if part.isdigit()]
    if tuple(parts) >= minimum:
        return
    wanted = ".".join(str(part) for part in minimum)
    raise ImportError(
        f"the {extra} extra needs {package} {wanted} or later ({why}), and {version[:20]} is "
        "installed: " + install_command(extra, upgrade=True)
    )
