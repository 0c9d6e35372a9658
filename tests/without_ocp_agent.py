"""ocp-agent hidden from a process and the programs it starts, as on a newcomer's machine.

ocp-agent is not on the package index: the Quick start's test line runs where it is
missing, while .ci/run installs it. A ``sitecustomize`` on PYTHONPATH makes its import fail
in every Python process that inherits the environment, the tests' own and the commands'.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

HIDE_IT = "import sys\nsys.modules['ocp_agent'] = None\n"


def environment_without_ocp_agent(folder: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with a ``sitecustomize`` written in ``folder`` first on its PYTHONPATH,
    and without the suite's demand that ocp-agent be there."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(HIDE_IT, encoding="utf-8")
    environment = {k: v for k, v in environ.items() if k != "OCP_USERS_PHOTO_REQUIRE_OCP_AGENT"}
    environment["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(folder), environment.get("PYTHONPATH", "")) if part
    )
    return environment
