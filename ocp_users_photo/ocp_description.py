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
    ``image_text`` being the input schema's description of ``image``."""
    return (
        f"{description} Arguments: `image` is required. {image_text} `crop_x`, "
        "`crop_y` and `crop_w` are whole numbers of pixels of the image as a viewer "
        "shows it (EXIF rotation applied, before any scaling), all three or none. "
        f"{CREDENTIAL_NOT_AN_ARGUMENT}"
    )


def companion_told(description: str) -> str:
    """A companion tool's description (usersRestorePhoto) for an OCP door."""
    return f"{description} {CREDENTIAL_NOT_AN_ARGUMENT}"
