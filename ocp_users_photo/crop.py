"""The square crop box Slack cuts the photo from, and how it follows the image when scaled."""

from __future__ import annotations

from dataclasses import dataclass

from ocp_users_photo.errors import Problem


@dataclass(frozen=True)
class CropBox:
    """A square: top-left corner (x, y) and side ``width``, in the image's pixels."""

    x: int
    y: int
    width: int

    def problems_inside(self, image_width: int, image_height: int) -> list[Problem]:
        """What keeps the box from lying inside an image of this size (empty when it fits)."""
        found: list[Problem] = []
        if self.x + self.width > image_width:
            found.append(
                Problem(
                    "$.crop_x",
                    f"the crop box reaches past the image's right edge (crop_x {self.x} + "
                    f"crop_w {self.width} > width {image_width}): make crop_x + crop_w at most "
                    f"{image_width}",
                )
            )
        if self.y + self.width > image_height:
            found.append(
                Problem(
                    "$.crop_y",
                    f"the crop box reaches past the image's bottom edge (crop_y {self.y} + "
                    f"crop_w {self.width} > height {image_height}): make crop_y + crop_w at most "
                    f"{image_height}",
                )
            )
        return found

    def scaled(self, factor: float, image_width: int, image_height: int) -> CropBox:
        """The box on the image scaled by ``factor`` to (image_width, image_height).

        The nearest box that stays inside: each value is rounded to the nearest pixel
        (at most half a pixel off), and only a box pushed against an edge by the image's
        own rounding moves further, by at most one more pixel, to stay inside.
        """
        width = min(max(1, round(self.width * factor)), image_width, image_height)
        x = min(max(0, round(self.x * factor)), image_width - width)
        y = min(max(0, round(self.y * factor)), image_height - width)
        return CropBox(x=x, y=y, width=width)

    def form_fields(self) -> dict[str, str]:
        """The box as Slack's form fields, decimal text."""
        return {"crop_x": str(self.x), "crop_y": str(self.y), "crop_w": str(self.width)}

    def __str__(self) -> str:
        return f"x={self.x} y={self.y} w={self.width}"
