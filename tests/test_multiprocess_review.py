"""One deployment, several worker processes: the history's turns and the token refreshes
as real OS processes sharing one history file and one installation store see them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_NAMESPACE = ["unshare", "--user", "--map-root-user", "--pid", "--fork"]


def _namespaces_usable() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        done = subprocess.run([*_NAMESPACE, "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _turn_worker(mode: str, history: Path, *, prefix: tuple[str, ...] = ()) -> list[str]:
    return [*prefix, sys.executable, "-m", "tests.history_turn_worker", mode, str(history)]


@pytest.mark.skipif(not _namespaces_usable(), reason="needs unprivileged user+PID namespaces")
def test_a_turn_held_in_another_pid_namespace_of_the_same_hostname_is_not_taken(
    tmp_path: Path,
) -> None:
    """Two containers on one host with the host's hostname (``--network host``, a pod with
    ``hostNetwork``) sharing a history volume: each has its own PID namespace, so the
    holder's pid is no process there. The lease must still hold, not be taken "at once"
    as a dead process's would, while the other container's change is under way."""
    history = tmp_path / "history.sqlite3"
    holder = subprocess.Popen(
        _turn_worker("hold", history),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        same_namespace = subprocess.run(
            _turn_worker("try", history), cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert same_namespace.stdout.strip() == "waited", same_namespace.stderr
        other_namespace = subprocess.run(
            _turn_worker("try", history, prefix=tuple(_NAMESPACE)),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert other_namespace.stdout.strip() == "waited", (
            "a process in another PID namespace took the turn another process holds "
            f"({other_namespace.stdout.strip()!r}; {other_namespace.stderr[-500:]})"
        )
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=30)
