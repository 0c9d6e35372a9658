"""users.setPhoto's arguments as the emulator reads them: the image part and the crop box."""

from __future__ import annotations

import re

from ocp_users_photo.crop import CropBox
from ocp_users_photo.emulator.incoming import Incoming, UploadedFile
from ocp_users_photo.emulator.replies import SlackFailure

_CROP_FIELDS = ("crop_x", "crop_y", "crop_w")
_DECIMAL = re.compile(r"^[0-9]{1,9}$")


def image_part(incoming: Incoming) -> UploadedFile:
    """The `image` file part; bad_image when there is none or it is empty.

    A text field named image (no filename, e.g. a urlencoded form) is not a
    file and does not count.
    """
    part = incoming.file("image")
    if part is None or not part.data:
        raise SlackFailure("bad_image")
    return part


def crop_box(incoming: Incoming) -> CropBox | None:
    """The crop box when crop_x, crop_y and crop_w are all given, None when none is.

    Empty values count as absent. Only some of the three, a value that is not
    a non-negative decimal integer, or crop_w 0 answer bad_image.
    """
    values = {name: (incoming.argument(name) or "").strip() for name in _CROP_FIELDS}
    given = [name for name, value in values.items() if value]
    if not given:
        return None
    if len(given) != len(_CROP_FIELDS):
        raise SlackFailure("bad_image")
    if not all(_DECIMAL.match(value) for value in values.values()):
        raise SlackFailure("bad_image")
    box = CropBox(int(values["crop_x"]), int(values["crop_y"]), int(values["crop_w"]))
    if box.width == 0:
        raise SlackFailure("bad_image")
    return box
