"""A local Slack-compatible server: the photo methods, auth.test and OAuth v2 (oauth.v2.access).

Needs the `emulator` extra (starlette, uvicorn, python-multipart). Start it with
run_emulator() in async code, EmulatorThread / start_emulator_in_thread() in
sync code, the `slack_emulator` pytest fixture, or `ocp-users-photo emulator`.
What it does where Slack documents nothing is listed in ASSUMPTIONS.

The modules, one concern each. Running it: ``server`` (in a loop or a thread),
``command`` (the subcommand), ``app`` (the Starlette application), ``config`` (its
settings), ``state`` (everything it holds), ``clock``. A request's way in:
``host_guard`` (DNS rebinding), ``gateway`` (read once, recorded, faults applied),
``incoming`` (body, arguments, file parts), ``auth`` (the token and its scope),
``ratelimit``. Slack's methods: ``methods`` (users.setPhoto, users.deletePhoto,
users.profile.get), ``identity`` (auth.test), ``arguments`` (setPhoto's image and
crop), ``renditions`` (Pillow's work), ``directory`` (the people), ``profiles`` (the
JSON a client sees), ``default_avatar``, ``image_routes`` (the image URLs),
``replies`` (Slack-shaped answers), ``tokens`` (which tokens it accepts). OAuth:
``oauth`` (authorize page, oauth.v2.access), ``oauth_apps``, ``installations``. For
tests: ``control``, ``control_accounts`` and ``control_http`` (the API under
/_emulator/), ``requestlog`` and ``redaction`` (what was sent, secrets out),
``faults`` and ``fault_specs`` (injected replies), ``wire`` and ``connections``
(faults below HTTP), ``loopback``, ``assumptions``.
"""

from ocp_users_photo.extras import missing_extra

try:  # the extra's packages, named in the error when missing
    import python_multipart  # noqa: F401 (starlette installs without it: FastAPI's own set)
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ModuleNotFoundError as missing:
    raise missing_extra("emulator", missing) from missing

from ocp_users_photo.emulator.app import create_app
from ocp_users_photo.emulator.assumptions import ASSUMPTIONS
from ocp_users_photo.emulator.config import (
    DEFAULT_BOT_SCOPES,
    DEFAULT_USER_SCOPES,
    EmulatorConfig,
    TokenGrant,
    UserRecord,
    load_tokens_file,
    user_id_for_token,
)
from ocp_users_photo.emulator.faults import ANY_PATH, Fault, FaultQueue, PendingFault
from ocp_users_photo.emulator.oauth_apps import OAuthApp
from ocp_users_photo.emulator.renditions import RENDITION_SIZES
from ocp_users_photo.emulator.requestlog import RecordedFile, RecordedRequest, RequestLog
from ocp_users_photo.emulator.server import (
    EmulatorThread,
    RunningEmulator,
    run_emulator,
    start_emulator_in_thread,
)
from ocp_users_photo.emulator.state import EmulatorState

__all__ = [
    "ANY_PATH",
    "ASSUMPTIONS",
    "DEFAULT_BOT_SCOPES",
    "DEFAULT_USER_SCOPES",
    "RENDITION_SIZES",
    "EmulatorConfig",
    "EmulatorState",
    "EmulatorThread",
    "Fault",
    "FaultQueue",
    "OAuthApp",
    "PendingFault",
    "RecordedFile",
    "RecordedRequest",
    "RequestLog",
    "RunningEmulator",
    "TokenGrant",
    "UserRecord",
    "create_app",
    "load_tokens_file",
    "run_emulator",
    "start_emulator_in_thread",
    "user_id_for_token",
]
