"""The Slack methods served: users.setPhoto, users.deletePhoto and users.profile.get."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ocp_users_photo.emulator.arguments import crop_box, image_part
from ocp_users_photo.emulator.auth import authenticate, request_token
from ocp_users_photo.emulator.config import TokenGrant
from ocp_users_photo.emulator.directory import Photo
from ocp_users_photo.emulator.incoming import Incoming
from ocp_users_photo.emulator.profiles import photo_fields, profile_json, public_root
from ocp_users_photo.emulator.renditions import (
    EncodedImage,
    ImageRejected,
    RenderedPhoto,
    avatar_hash,
    render_photo,
)
from ocp_users_photo.emulator.replies import SlackFailure, naming_scopes, slack_ok
from ocp_users_photo.emulator.state import EmulatorState

INCOMING_KEY = "ocp_users_photo.incoming"

READ_SCOPE = "users.profile:read"
WRITE_SCOPE = "users.profile:write"


def incoming_of(request: Request) -> Incoming:
    """The arguments the gateway parsed for this request."""
    incoming = request.scope.get("state", {}).get(INCOMING_KEY)
    if not isinstance(incoming, Incoming):
        raise RuntimeError("the emulator's gateway did not run for this request")
    if incoming.body_error is not None:
        raise SlackFailure(incoming.body_error)
    return incoming


class ApiMethods:
    """One handler per method, bound to the emulator's state."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    async def set_photo(self, request: Request) -> Response:
        incoming = incoming_of(request)
        grant = self._writer(request, incoming, "users.setPhoto")
        with naming_scopes(grant.scopes, WRITE_SCOPE):
            return await self._set_photo(request, incoming, grant)

    async def _set_photo(self, request: Request, incoming: Incoming, grant: TokenGrant) -> Response:
        part = image_part(incoming)
        crop = crop_box(incoming)
        config = self._state.config
        if config.process_images:
            try:
                # Pillow work off the event loop, so delays and other calls go on meanwhile.
                images = await run_in_threadpool(
                    render_photo,
                    part.data,
                    crop,
                    max_side=config.max_image_side,
                    max_frames=config.max_frames,
                    letterbox_color=config.letterbox_color,
                )
            except ImageRejected as rejection:
                raise SlackFailure(rejection.code) from rejection
        else:
            images = _unprocessed(part.data, part.content_type)
        photo = Photo(avatar_hash(part.data, crop), images, is_custom=True)
        self._state.directory.set_photo(grant.user_id, photo)
        if self._state.set_photo_reply == "bare":
            # Slack's own examples: the photo is set, the reply names none of it.
            return slack_ok(scopes=grant.scopes, accepted=WRITE_SCOPE)
        profile = photo_fields(public_root(request), grant.user_id, photo)
        return slack_ok({"profile": profile}, scopes=grant.scopes, accepted=WRITE_SCOPE)

    async def delete_photo(self, request: Request) -> Response:
        incoming = incoming_of(request)
        grant = self._writer(request, incoming, "users.deletePhoto")
        self._state.directory.delete_photo(grant.user_id)
        return slack_ok(scopes=grant.scopes, accepted=WRITE_SCOPE)

    async def profile_get(self, request: Request) -> Response:
        incoming = incoming_of(request)
        token = request_token(request.headers, incoming, query_allowed=True)
        grant = authenticate(self._state.tokens, token, needed_scope=READ_SCOPE, bots_allowed=True)
        with naming_scopes(grant.scopes, READ_SCOPE):
            wanted = incoming.argument("user")
            if wanted:
                person = self._state.directory.get(wanted)
                if person is None and self._state.tokens.names_user(wanted):
                    # A member whose token was given but not yet used is a member all the same.
                    person = self._state.directory.ensure(wanted)
                if person is None:
                    raise SlackFailure("user_not_found")
            else:
                person = self._state.directory.ensure(grant.user_id)
        profile = profile_json(public_root(request), person, self._state.config.team_id)
        return slack_ok({"profile": profile}, scopes=grant.scopes, accepted=READ_SCOPE)

    async def unknown_method(self, request: Request) -> Response:
        raise SlackFailure("unknown_method", status_code=404)

    def _writer(self, request: Request, incoming: Incoming, method: str) -> TokenGrant:
        """Auth for a write method (user tokens with users.profile:write), then the rate limit."""
        token = request_token(request.headers, incoming, query_allowed=False)
        grant = authenticate(
            self._state.tokens, token, needed_scope=WRITE_SCOPE, bots_allowed=False
        )
        self._state.directory.ensure(grant.user_id)
        # Slack counts per method, workspace and app (its rate-limit guide), not per token:
        # every person of an app shares the budget. One workspace per emulator.
        retry_after = self._state.rate_limiter.admit((grant.app_id, method))
        if retry_after is not None:
            with naming_scopes(grant.scopes, WRITE_SCOPE):
                raise SlackFailure(
                    "ratelimited", status_code=429, headers={"retry-after": str(retry_after)}
                )
        return grant


def _unprocessed(image_bytes: bytes, declared_type: str | None) -> RenderedPhoto:
    # With processing off every URL serves the upload as it came: cheap, and
    # the reply still has the shape of a real one.
    content_type = declared_type or "application/octet-stream"
    extension = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}.get(
        content_type, "bin"
    )
    return RenderedPhoto(EncodedImage(image_bytes, content_type, extension), {})
