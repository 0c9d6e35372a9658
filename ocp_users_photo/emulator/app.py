"""create_app(): the emulator as a Starlette ASGI application."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ocp_users_photo.emulator.config import EmulatorConfig
from ocp_users_photo.emulator.connections import ConnectionAccess
from ocp_users_photo.emulator.control import ControlApi
from ocp_users_photo.emulator.gateway import Gateway
from ocp_users_photo.emulator.host_guard import LoopbackHostGuard
from ocp_users_photo.emulator.identity import IdentityMethods
from ocp_users_photo.emulator.image_routes import ImageRoutes
from ocp_users_photo.emulator.methods import ApiMethods
from ocp_users_photo.emulator.oauth import AUTHORIZE_PATH, OAuthRoutes
from ocp_users_photo.emulator.profiles import AVATARS_PREFIX
from ocp_users_photo.emulator.replies import SlackFailure, slack_error
from ocp_users_photo.emulator.state import EmulatorState

# Slack accepts GET and POST for its Web API methods; so does the emulator.
_API_VERBS = ["GET", "POST"]


def create_app(
    config: EmulatorConfig | None = None,
    state: EmulatorState | None = None,
    *,
    connections: ConnectionAccess | None = None,
) -> Starlette:
    """The ASGI app. `state` defaults to a fresh one for `config`.

    `connections` lets the wire faults (drop, raw, drips, lying lengths) reach the
    connection; run_emulator() passes one bound to its uvicorn server.
    """
    if state is None:
        state = EmulatorState(config)
    elif config is not None and config is not state.config:
        raise ValueError("give either a config or a state built from it, not two different ones")
    methods = ApiMethods(state)
    avatars = ImageRoutes(state)
    oauth = OAuthRoutes(state)
    identity = IdentityMethods(state)
    routes = [
        Route("/api/users.setPhoto", methods.set_photo, methods=_API_VERBS),
        Route("/api/users.deletePhoto", methods.delete_photo, methods=_API_VERBS),
        Route("/api/users.profile.get", methods.profile_get, methods=_API_VERBS),
        Route("/api/auth.test", identity.auth_test, methods=_API_VERBS),
        Route("/api/oauth.v2.access", oauth.access, methods=_API_VERBS),
        Route(AUTHORIZE_PATH, oauth.authorize, methods=["GET"]),
        Route("/api/{method:str}", methods.unknown_method, methods=_API_VERBS),
        Route(
            AVATARS_PREFIX + "/{user_id:str}/{avatar_hash:str}/{name:str}",
            avatars.serve,
            methods=["GET"],
        ),
        *ControlApi(state).routes(),
        Route("/", _workspace_page, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            # Outermost: a refused Host is neither recorded nor faulted.
            Middleware(LoopbackHostGuard),
            Middleware(Gateway, state=state, connections=connections),
        ],
        exception_handlers={SlackFailure: _slack_failure},
    )
    app.state.emulator = state
    return app


async def _slack_failure(request: Request, failure: Exception) -> Response:
    assert isinstance(failure, SlackFailure)
    return slack_error(failure)


async def _workspace_page(request: Request) -> Response:
    """GET /: the page auth.test's ``url`` names (whoami's "Workspace URL"), where Slack's
    opens the workspace. A bare 404 told a person who opened it nothing: it says what
    answers here and where."""
    root = str(request.base_url).rstrip("/")
    return PlainTextResponse(
        "ocp-users-photo's local Slack emulator: this address stands for the workspace.\n"
        f"Slack Web API: {root}/api (set SLACK_API_URL to it)\n"
        f"Control API: {root}/_emulator/ (GET it for the list of endpoints)\n"
    )
