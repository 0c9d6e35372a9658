"""The image step of a call: from whatever the caller passed to what the multipart part carries.

resolvers.py (one resolver per kind of argument: path, bytes, file, base64, data:
URI, URL) -> header.py (what Pillow reads from the header) -> policy.py (Slack's
sizes and the crop box: send as is, convert, or refuse) -> reencode.py (only when
needed, off the event loop) -> upload.py (``PreparedImage``, the part's body).
"""

from ocp_users_photo.images.limits import DEFAULT_LIMITS, ImageLimits

__all__ = ["DEFAULT_LIMITS", "ImageLimits"]
