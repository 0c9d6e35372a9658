"""Serving the images behind the image_* URLs: custom photos and default avatars."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ocp_users_photo.emulator.default_avatar import default_avatar_hash, render_default_avatar
from ocp_users_photo.emulator.directory import Photo
from ocp_users_photo.emulator.renditions import RENDITION_SIZES, EncodedImage, RenderedPhoto
from ocp_users_photo.emulator.state import EmulatorState


class ImageRoutes:
    """GET /avatars/{user_id}/{avatar_hash}/{size}.{ext} and .../original.{ext}."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    async def serve(self, request: Request) -> Response:
        user_id = request.path_params["user_id"]
        wanted_hash = request.path_params["avatar_hash"]
        stem, _, extension = str(request.path_params["name"]).partition(".")
        images = await self._images(user_id, wanted_hash)
        image = _pick(images, stem) if images is not None else None
        if image is None or image.extension != extension:
            return PlainTextResponse("Not Found", status_code=404)
        # An avatar URL names fixed content, so it may be cached like a CDN's.
        headers = {"cache-control": "public, max-age=31536000, immutable"}
        return Response(image.data, media_type=image.content_type, headers=headers)

    async def _images(self, user_id: str, wanted_hash: str) -> RenderedPhoto | None:
        person = self._state.directory.get(user_id)
        if person is None:
            return None
        if person.photo is not None and person.photo.avatar_hash == wanted_hash:
            return person.photo.images
        if wanted_hash != default_avatar_hash(user_id):
            # A replaced photo's URLs stop working: only the current one is kept.
            return None
        cached = self._state.directory.cached_default_avatar(user_id)
        if cached is None:
            # Drawn on first request only: most tests never fetch the default avatar.
            name = person.record.real_name or person.record.display_name
            rendered = await run_in_threadpool(render_default_avatar, user_id, name)
            cached = Photo(default_avatar_hash(user_id), rendered, is_custom=False)
            self._state.directory.cache_default_avatar(user_id, cached)
        return cached.images


def _pick(images: RenderedPhoto, stem: str) -> EncodedImage | None:
    if stem == "original":
        return images.original
    if not stem.isdigit() or int(stem) not in RENDITION_SIZES:
        return None
    # Without processing there are no renditions: the original stands in for all.
    return images.renditions.get(int(stem), images.original)
