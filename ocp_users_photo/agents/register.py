"""register(agent): usersSetPhoto on an OCP agent the caller already has, wrapped in one place.

ocp-agent's generic tool call drops formData parameters, so for this tool it
would send no token and no image; and it records the raw parameters (token and
image included) in the context history that travels with every later request.
``register(agent)`` fixes both on that agent object only:

- ``agent.register_api('slack')`` answers offline with an API spec offering this
  tool (keeping tools already registered under ``slack``; with a ``spec_url`` the
  agent's own discovery runs and this tool replaces the generic one);
- ``agent.call_tool('usersSetPhoto', args)`` runs this package's checked call;
  every other tool takes the agent's own path, unchanged;
- the history records the call with the image summarised (format, size, bytes,
  fingerprint) and never the token.

It works with ocp-agent 0.3.0 (synchronous) and with agents whose
``register_api``/``call_tool`` are coroutines. On a synchronous agent,
``call_tool('usersSetPhoto', ...)`` returns an awaitable inside an event loop
(the seed's ``await agent.call_tool(...)``) and the reply itself outside one.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from ocp_users_photo.acting_tool import ActingTool
from ocp_users_photo.agents.definitions import is_slack
from ocp_users_photo.agents.headers import held_authorization
from ocp_users_photo.agents.pending_registration import PendingRegistration
from ocp_users_photo.agents.route import SlackPhotoRoute
from ocp_users_photo.own_loop import run_own_loop
from ocp_users_photo.settings import door_image_roots
from ocp_users_photo.slack.addresses import same_slack
from ocp_users_photo.tokens import acting_as, acting_person
from ocp_users_photo.tool import UsersSetPhoto
from ocp_users_photo.tool_options import held_options
from ocp_users_photo.worker_threads import in_worker_thread

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ocp_users_photo.tool_options import ToolOptions

logger = logging.getLogger(__name__)

_ROUTE: Final = "_ocp_users_photo_route"
_NEEDED: Final = ("known_apis", "call_tool", "register_api")


def register(
    agent: Any | None = None,
    tool: UsersSetPhoto | ActingTool | None = None,
    **tool_options: Unpack[ToolOptions],
) -> UsersSetPhoto:
    """Offer usersSetPhoto on ``agent`` (if any) and return the tool behind it.

    ``tool_options`` go to ``UsersSetPhoto`` when no ``tool`` is given; image paths
    are confined to the working directory unless ``image_roots`` says otherwise.
    Calling it again replaces the tool and still leaves one usersSetPhoto.
    """
    # Held first: the options' token and environ are in no frame a refusal raises through.
    tool_options = held_options(tool_options)
    if tool is not None and tool_options:
        raise TypeError("give either tool= or options for a new UsersSetPhoto, not both")
    if tool is None:
        tool_options.setdefault("image_roots", door_image_roots("model", None))
        tool = UsersSetPhoto(**tool_options)
    if agent is None:
        return tool.tool if isinstance(tool, ActingTool) else tool
    missing = [name for name in _NEEDED if not hasattr(agent, name)]
    if missing:
        raise TypeError(
            f"{type(agent).__name__} has no {', '.join(missing)}: register() needs an agent "
            "with ocp-agent's OCPAgent surface"
        )
    previous: SlackPhotoRoute | None = getattr(agent, _ROUTE, None)
    route = SlackPhotoRoute(tool)
    # The Authorization registered for Slack serves the new tool only at the address it
    # was given for: another workspace's tool (another base_url) must not get it.
    if previous is not None and same_slack(previous.tool.base_url, route.tool.base_url):
        route.remember_headers(previous.registered_headers)
    elif previous is None:
        found = _headers_registered_with(agent, route.tool.base_url)
        route.remember_headers(found)
        if found is None:
            _warn_if_slack_came_first(agent)
    setattr(agent, _ROUTE, route)
    route.offer(agent)
    if previous is None:
        _intercept(agent)
    return route.tool


def _headers_registered_with(agent: Any, base_url: str) -> Mapping[str, str] | None:
    """The headers ocp-agent keeps for Slack (``register_api('slack', ..., headers=...)``
    before ``register``), if given for the tool's own Slack address."""
    clients = getattr(agent, "api_clients", None)
    if not isinstance(clients, Mapping):
        return None
    for name, client in clients.items():
        if not is_slack(name):
            continue
        if not same_slack(str(getattr(client, "base_url", "") or ""), base_url):
            return None  # given for another address: the token goes nowhere else
        headers = getattr(getattr(client, "http_client", None), "headers", None)
        return headers if isinstance(headers, Mapping) else None
    return None


def _warn_if_slack_came_first(agent: Any) -> None:
    """ocp-agent registered Slack before ``register`` and keeps no headers for it: headers
    given then were dropped if its spec cache or memory answered (it makes a client for
    them only on a fresh discovery), so usersSetPhoto would act with the next token in
    line (the tool's own, SLACK_USER_TOKEN), perhaps another person's. Said, not guessed:
    whether headers were given at all is not known here."""
    if not any(is_slack(str(name)) for name in getattr(agent, "known_apis", {}) or {}):
        return
    logger.warning(
        "Slack was registered on this agent before register(), and ocp-agent keeps no "
        "headers for it (it drops those given to register_api when its spec cache or an "
        "earlier registration answers): an Authorization given there is not used, and "
        "usersSetPhoto acts with the tool's own token or SLACK_USER_TOKEN. Call register() "
        "first, then register_api('slack', headers=...), or give the header to each call_tool"
    )


def _offer_after(
    started_with: SlackPhotoRoute, agent: Any, found_with: Mapping[str, str] | None
) -> Any:
    """The agent's tool in the Slack API a discovery of a spec_url found (which lists
    ocp-agent's generic usersSetPhoto), with the headers it ran with served to the tools
    it found. The route registered now, which register() may have replaced while the
    discovery ran: the one it started with would put back a closed tool's definitions
    (a usersRestorePhoto the new tool does not offer), its headers too."""
    route = route_of(agent)
    if found_with and route is started_with:
        route.serve_discovered(agent, found_with)
    return route.offer(agent)


def route_of(agent: Any) -> SlackPhotoRoute:
    """The route ``register`` put on ``agent`` (the latest one, if registered again)."""
    route: SlackPhotoRoute = getattr(agent, _ROUTE)
    return route


def _intercept(agent: Any) -> None:
    """Wrap the agent's register_api and call_tool, once; the route is looked up per call."""
    original_register = agent.register_api
    original_call = agent.call_tool
    # Asked once: a per-call inspect costs more than the rest of the wrapper.
    register_is_async = inspect.iscoroutinefunction(original_register)
    call_is_async = inspect.iscoroutinefunction(original_call)

    async def register_slack(name: str, *args: Any, **kwargs: Any) -> Any:
        route = route_of(agent)
        if _spec_url_given(args, kwargs):
            # A spec_url asks for the agent's own discovery: let it run, then put this tool in.
            headers = _headers_given(args, kwargs)
            # The headers the discovery runs with (given here, or registered before): served
            # to the Slack tools it finds where ocp-agent's spec cache answers without them.
            found_with = headers if isinstance(headers, Mapping) else None
            if headers is None:
                base_url, found_with = route.discovery_arguments(
                    _base_url_given(args, kwargs), None
                )
                if found_with is not None:
                    # Passed by keyword: a base_url of None given in place moves there.
                    args = args[:1]
                    kwargs = {**kwargs, "base_url": base_url, "headers": found_with}
            with route.rediscovering(agent):
                if register_is_async:
                    found = original_register(name, *args, **kwargs)
                else:  # ocp-agent's own reads or fetches the spec: off the event loop
                    discover = functools.partial(original_register, name, *args, **kwargs)
                    # A caller that stops waiting (a timeout) leaves the discovery running:
                    # its late end writes ocp-agent's generic Slack API, this tool put back in.
                    found = await in_worker_thread(
                        discover, discard=lambda _: _offer_after(route, agent, found_with)
                    )
                if inspect.isawaitable(found):  # a plain method that hands back an awaitable
                    await found
            return _offer_after(route, agent, found_with)
        return route.offer(agent)

    def register_api(name: str, *args: Any, **kwargs: Any) -> Any:
        if not is_slack(name):
            return original_register(name, *args, **kwargs)
        refusal = route_of(agent).base_url_refusal(_base_url_given(args, kwargs))
        if refusal is not None:
            del args, kwargs  # its headers, out of the locals an error reporter sends
            raise ValueError(refusal)
        route_of(agent).remember_headers(_headers_given(args, kwargs))
        if register_is_async or _spec_url_given(args, kwargs):

            def registering() -> Awaitable[Any]:
                return register_slack(name, *args, **kwargs)

            if not register_is_async and _in_a_loop():
                # Awaitable, and saying what to do if used as ocp-agent's synchronous one.
                return PendingRegistration(registering)
            return _as_original(register_is_async, registering)
        return route_of(agent).offer(agent)

    def call_tool(
        tool_name: str,
        parameters: Mapping[str, Any] | None = None,
        api_name: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        route = route_of(agent)
        if not route.handles(tool_name, api_name):
            return original_call(tool_name, parameters, api_name, *args, **kwargs)
        authorization = held_authorization(kwargs.get("headers", args[0] if args else None))
        # Its headers, out of this frame's locals: called without a loop (ocp-agent's plain
        # call_tool), the call runs to its end, and any error through this frame.
        del args, kwargs
        # The person bound around this call, not around a later await of its result (a
        # queue of calls awaited while another person is bound).
        person = acting_person()

        async def as_called() -> Any:
            with acting_as(person):
                return await route.call(
                    agent, parameters, authorization=authorization, tool_name=tool_name
                )

        return _as_original(call_is_async, as_called, then_on_own_loop=route.tool._end_of_own_loop)

    agent.register_api = register_api
    agent.call_tool = call_tool


def _as_original(
    original_is_async: bool,
    work: Callable[[], Awaitable[Any]],
    *,
    then_on_own_loop: Callable[[], Awaitable[None]] | None = None,
) -> Any:
    """``work`` in the calling convention of the method it stands in for.

    A coroutine method (``original_is_async``) gets a coroutine. A plain method called
    inside an event loop gets an awaitable (the seed's ``await agent.call_tool(...)``);
    outside one, the work runs to completion on a loop of its own (followed by
    ``then_on_own_loop``, which closes what belonged to that loop) and its result is
    returned.
    """
    if original_is_async or _in_a_loop():
        return work()
    # Outside the except block: an error of the work is not shown "during handling of"
    # the RuntimeError that said no loop was running.
    return run_own_loop(_on_own_loop(work, then_on_own_loop))


def _in_a_loop() -> bool:
    """Whether an event loop runs in this thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _on_own_loop(
    work: Callable[[], Awaitable[Any]], then: Callable[[], Awaitable[None]] | None
) -> Any:
    try:
        return await work()
    finally:
        if then is not None:
            await then()


def _spec_url_given(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> bool:
    """Whether ``register_api(name, spec_url, base_url, headers)`` was given a spec_url."""
    return bool(kwargs.get("spec_url") or (args and args[0]))


def _base_url_given(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    """The ``base_url`` of ``register_api(name, spec_url, base_url, headers)``, if any."""
    return kwargs.get("base_url", args[1] if len(args) > 1 else None)


def _headers_given(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    """The ``headers`` of ``register_api(name, spec_url, base_url, headers)``, if any."""
    return kwargs.get("headers", args[2] if len(args) > 2 else None)
