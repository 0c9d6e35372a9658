"""OCPAgent: ocp-agent's agent with coroutine I/O, and usersSetPhoto already offered.

The seed's usage, verbatim, with this package's import::

    from ocp_users_photo import OCPAgent
    agent = OCPAgent()
    await agent.register_api('slack')
    result = await agent.call_tool('usersSetPhoto', {...})

ocp-agent 0.3.0's ``register_api`` and ``call_tool`` are synchronous (``requests``);
here both are coroutines for every API and tool: usersSetPhoto runs this package's
checked call, and everything else runs the library's own method in a worker thread
(one at a time per agent: the library is not written for threads), returning what
the library returns. The other methods (``list_tools``, ``get_tool``, ...) are the
library's own. ocp-agent is not on the package index; see README, "Use it from an agent".
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar, overload

import anyio.to_thread

from ocp_users_photo.acting_tool import ActingTool
from ocp_users_photo.agents.definitions import is_slack
from ocp_users_photo.agents.headers import held_authorization
from ocp_users_photo.agents.route import SlackPhotoRoute
from ocp_users_photo.closing import AsyncClosing
from ocp_users_photo.credentials import AuthorizationHeader
from ocp_users_photo.settings import door_image_roots
from ocp_users_photo.tokens import ActingPerson, acting_as, acting_person
from ocp_users_photo.tool import UsersSetPhoto
from ocp_users_photo.tool_options import held_options
from ocp_users_photo.worker_threads import in_worker_thread

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ocp_users_photo.tool_options import ToolOptions

DEPENDENCIES_HINT: Final = "pip install 'requests>=2.25' 'pyyaml>=6' 'pydantic>=2' 'jsonschema>=4'"
INSTALL_HINT: Final = (
    "OCPAgent is built on ocp-agent, which is not installed (it is not on the package "
    "index): install its v0.3.0 from github.com/opencontextprotocol/ocp-python with "
    "'pip install --no-deps <ocp_agent-0.3.0 wheel or git URL>' and then its run-time "
    f"dependencies: {DEPENDENCIES_HINT}"
)


def _install_hint(missing: ImportError) -> str:
    """ocp-agent itself is missing, or (installed with --no-deps, as the README says) one of
    its dependencies is: "not installed" then sent its owner to reinstall what they had."""
    name = missing.name or "ocp_agent"
    if name.split(".")[0] == "ocp_agent":
        return INSTALL_HINT
    return (
        f"OCPAgent is built on ocp-agent, which is installed but cannot load: its run-time "
        f"dependency {name[:100]!r} is missing: {DEPENDENCIES_HINT}"
    )


try:
    from ocp_agent import OCPAgent as LibraryAgent
except ImportError as missing:
    raise ImportError(_install_hint(missing), name=missing.name) from None

T = TypeVar("T")


class OCPAgent(AsyncClosing, LibraryAgent):  # type: ignore[misc]
    """``ocp_agent.OCPAgent`` whose ``register_api`` and ``call_tool`` are coroutines.

    The constructor takes ocp-agent's own arguments, plus ``tool`` (a ``UsersSetPhoto``
    to offer) or options for a new one (``base_url``, ``image_roots``, ``token`` ...).
    A ``tool`` passed in stays its owner's to close: several agents may share it.
    """

    def __init__(
        self,
        agent_type: str = "ai_agent",
        user: str | None = None,
        workspace: str | None = None,
        agent_goal: str | None = None,
        registry_url: str | None = None,
        enable_cache: bool = True,
        *,
        tool: UsersSetPhoto | ActingTool | None = None,
        **tool_options: Unpack[ToolOptions],
    ) -> None:
        # Held first: the options' token and environ are in no frame a refusal raises through
        # (ocp-agent's own, or one of the checks below).
        tool_options = held_options(tool_options)
        super().__init__(agent_type, user, workspace, agent_goal, registry_url, enable_cache)
        if tool is not None and tool_options:
            raise TypeError("give either tool= or options for a new UsersSetPhoto, not both")
        # Closed with the agent only when the agent made it: a tool passed in may serve other
        # agents (one per conversation) whose calls are still in flight.
        self._owns_photo_tool = tool is None
        if tool is None:
            tool_options.setdefault("image_roots", door_image_roots("model", None))
            tool = UsersSetPhoto(**tool_options)
        self._photo_route = SlackPhotoRoute(tool)
        self.photo_tool: UsersSetPhoto = self._photo_route.tool
        self._library_lock = threading.Lock()
        self._photo_route.offer(self)

    async def register_api(
        self,
        name: str,
        spec_url: str | None = None,
        base_url: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Register an API; ``slack`` answers offline unless a ``spec_url`` asks for discovery."""
        if not is_slack(name):
            return await self._library(LibraryAgent.register_api, name, spec_url, base_url, headers)
        route = self._photo_route
        refusal = route.base_url_refusal(base_url)
        if refusal is not None:
            del headers  # out of this frame's locals, which an error reporter sends
            raise ValueError(refusal)
        route.remember_headers(headers)
        if spec_url:
            found_at, found_with = route.discovery_arguments(base_url, headers)

            def discover() -> Any:
                with self._library_lock:
                    return LibraryAgent.register_api(self, name, spec_url, found_at, found_with)

            with route.rediscovering(self):
                # A caller that stops waiting (a timeout) leaves the discovery running: its
                # late end writes ocp-agent's generic Slack API, this tool put back in then.
                await in_worker_thread(discover, discard=lambda _: self._offer_after(found_with))
            return self._offer_after(found_with)
        return route.offer(self)

    def _offer_after(self, found_with: Mapping[str, str] | None) -> Any:
        """This tool in the Slack API a discovery found, its headers served to the tools it
        found (given here or registered before: ocp-agent's cache drops them)."""
        route = self._photo_route
        if found_with:
            route.serve_discovered(self, found_with)
        return route.offer(self)

    @overload
    def call_tool(
        self,
        tool_name: Literal["usersSetPhoto"],
        parameters: Mapping[str, Any] | None = None,
        api_name: Literal["slack"] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Coroutine[Any, Any, dict[str, Any]]: ...

    @overload
    def call_tool(
        self,
        tool_name: str,
        parameters: Mapping[str, Any] | None = None,
        api_name: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Coroutine[Any, Any, Any]: ...

    def call_tool(
        self,
        tool_name: str,
        parameters: Mapping[str, Any] | None = None,
        api_name: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Coroutine[Any, Any, Any]:
        """usersSetPhoto's checked reply (usersRestorePhoto's list or restored photo); any
        other tool, what ocp-agent returns (a Response). Awaited: ``await agent.call_tool(...)``.

        It acts for the person bound when it is called, not when its result is awaited (a
        queue of calls awaited while another person is bound)."""
        if self._photo_route.handles(tool_name, api_name):
            # Held now: the coroutine's locals keep no mapping of headers (headers.py).
            authorization = held_authorization(headers)
            return self._call_photo_tool(acting_person(), tool_name, parameters, authorization)
        return self._library(LibraryAgent.call_tool, tool_name, parameters, api_name, headers)

    async def _call_photo_tool(
        self,
        person: ActingPerson | None,
        tool_name: str,
        parameters: Mapping[str, Any] | None,
        authorization: AuthorizationHeader | None,
    ) -> Any:
        with acting_as(person):
            return await self._photo_route.call(
                self, parameters, authorization=authorization, tool_name=tool_name
            )

    async def _library(self, method: Callable[..., T], *args: Any) -> T:
        def locked() -> T:
            with self._library_lock:
                return method(self, *args)

        return await anyio.to_thread.run_sync(locked)

    async def aclose(self) -> None:
        """Close the photo tool this agent made (a ``tool=`` passed in is left to its owner;
        ocp-agent's own sessions are the library's)."""
        if self._owns_photo_tool:
            await self.photo_tool.aclose()


# call_tool returns a coroutine (it notes the person when called, so it is no coroutine
# function): on Python 3.12+ it is marked as one, for hosts that inspect before awaiting.
_mark_async = getattr(inspect, "markcoroutinefunction", None)
if _mark_async is not None:
    _mark_async(OCPAgent.call_tool)
