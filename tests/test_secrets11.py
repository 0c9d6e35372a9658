"""Secrets sweep of session 11's new texts: the canary token where a mistaken person or an
attacker would put it, and 1 MB hostile values, through the texts this session added."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo.undo.database import open_history
from ocp_users_photo.undo.errors import HistoryUnavailable
from tests.conftest import CANARY_TOKEN
from tests.test_secrets import holds_part_of_the_token, texts_of_error

MEGABYTE = 1_000_000


def test_a_history_path_that_is_a_folder_named_like_the_token_quotes_no_token(
    tmp_path: Path,
) -> None:
    """'--history ~/xoxp-.../' (the token pasted as a folder): the 'is a folder' refusal
    named the path twice, the token in it, to the CLI, a model and the Python caller."""
    folder = tmp_path / CANARY_TOKEN
    folder.mkdir()
    with pytest.raises(HistoryUnavailable) as refused:
        open_history(folder, 1.0, check=False)
    assert refused.value.model_message is not None
    texts = [*texts_of_error(refused.value), refused.value.model_message]
    assert "is a folder" in str(refused.value)
    assert not any(holds_part_of_the_token(text) for text in texts)


def test_a_history_refusal_for_a_1_mb_path_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / ("a" * MEGABYTE)
    with pytest.raises(HistoryUnavailable) as refused:
        open_history(path, 1.0, check=False)
    assert len(str(refused.value)) < 2000
    assert refused.value.model_message is not None
    assert len(refused.value.model_message) < 2000


@pytest.mark.parametrize("where", ["in a folder named like the token", "1 MB long"])
def test_an_image_root_the_system_cannot_look_at_is_refused_in_words(
    tmp_path: Path, where: str
) -> None:
    """An image root whose name is too long for the system (the token pasted into it, or a
    1 MB value) was let through as the OSError of Path.is_dir(), quoting the whole path."""
    from ocp_users_photo.settings import resolve_roots

    if where == "1 MB long":
        root = str(tmp_path / ("x" * MEGABYTE))
    else:
        (tmp_path / CANARY_TOKEN).mkdir()
        root = str(tmp_path / CANARY_TOKEN / ("x" * 300))
    with pytest.raises(ValueError, match="image root") as refused:
        resolve_roots([root])
    assert len(str(refused.value)) < 2000
    assert not any(holds_part_of_the_token(text) for text in texts_of_error(refused.value))
