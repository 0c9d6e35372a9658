"""What an OCP door tells a model beside the seed's parameters, for ``register()`` and the
OCP export alike.

OCP's tool definition lists Slack's own parameters: ``token`` required and ``image`` an
optional "file contents". A model must not take them at their word, so the description an
OCP door offers says what to pass instead; the catalog entry (``export_tool("ocp")``,
``manifest --format ocp``) carries the same text as ``register()`` gives an agent.
"""

from __future__ import annotations

from typing import Final

CREDENTIAL_NOT_AN_ARGUMENT: Final = (
    "Do not pass `token`: the tool takes the Slack token from its own configuration and "
    "refuses one given as an argument."
)


def set_photo_told(description: str, image_text: str) -> str:
    """usersSetPhoto's description for an OCP door: ``description`` and what to pass,
    ``image_text`` being the input schema's description of ``image``.

    The fixed rules come before ``image_text``, which grows with the host's image folders
    and URL hosts: a catalog that shows a description's first 1,024 characters still says
    to leave out the `token` OCP's parameters call required."""
    return (
        f"{description} Arguments: `image` is required; `crop_x`, `crop_y` and `crop_w` are "
        "whole numbers of pixels of the image as a viewer shows it (EXIF rotation applied, "
        f"before any scaling), all three or none. {CREDENTIAL_NOT_AN_ARGUMENT} `image`: "
        f"{image_text}"
    )


def companion_told(description: str) -> str:
    """A companion tool's description (usersRestorePhoto) for an OCP door."""
    return f"{description} {CREDENTIAL_NOT_AN_ARGUMENT}"
