"""SlackPhotoRoute: how usersSetPhoto is offered to an OCP agent and called through it.

One object knows the OCP side of the tool: the ``OCPTool`` an agent lists, the
Slack API spec ``register_api('slack')`` gives, which calls are this tool's, the
credentials ocp-agent users pass as headers, and the checked call itself, recorded
in the agent's history. ``register(agent)`` and the project's ``OCPAgent`` both
delegate to it. usersRestorePhoto, the undo, is offered and called the same way,
beside it, unless the tool's keeping is off (``keep_previous=False``).

An agent's ``call_tool`` is a model door (the defaults by door in settings.py): its arguments are
a model's, so they may not carry a token; the token comes from the call's headers,
then the headers given to ``register_api('slack')`` (unless the tool has a token source of
the host's, which decides alone), then the tool's configuration.
A tool bound to one person (``tool.acting_as(...)``) makes every call through the agent
that person's, as the bound tool's own calls are.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
from collections.abc import Generator, Iterator, Mapping
from typing import Any

from ocp_users_photo.acting_tool import ActingTool
from ocp_users_photo.agents.definitions import (
    API_NAME,
    is_slack,
    ocp_tool_of,
    slack_api_spec,
)
from ocp_users_photo.agents.headers import authorization_of, is_authorization, token_override
from ocp_users_photo.agents.history import HistoryObserver
from ocp_users_photo.argument_view import safe_view
from ocp_users_photo.credentials import AuthorizationHeader
from ocp_users_photo.errors import TOKEN_PATH, Problem, UsersPhotoError
from ocp_users_photo.observers import CallInfo
from ocp_users_photo.ocp_description import companion_told
from ocp_users_photo.prepared import TokenOverride
from ocp_users_photo.slack.addresses import same_slack
from ocp_users_photo.spec import companion_spec
from ocp_users_photo.tokens import ActingPerson, NoToken, StaticToken, acting_as, acting_person
from ocp_users_photo.tool import UsersSetPhoto
from ocp_users_photo.undo.restore_tool import RESTORE_TOOL_NAME, UsersRestorePhoto

_CALL_ORIGIN = "call_tool(headers=...)"
# Where the Slack API waits while ocp-agent discovers it again: not a name Slack's
# (is_slack), so the discovery runs; its tools stay listed (rediscovering).
_UNTIL_DISCOVERED = "slack (until discovered again)"
_REGISTER_ORIGIN = "register_api('slack', headers=...)"


class SlackPhotoRoute:
    """Offers and calls one ``UsersSetPhoto`` for an agent."""

    def __init__(self, tool: UsersSetPhoto | ActingTool) -> None:
        # A tool bound to one person: the agent's calls are that person's (an agent made
        # per conversation); the plain tool serves whoever the host binds around each call.
        self.person: ActingPerson | None = None
        if isinstance(tool, ActingTool):
            self.person = tool.person
            tool = tool.tool
        if not isinstance(tool, UsersSetPhoto):
            raise TypeError(
                f"tool= takes a UsersSetPhoto (or one bound to a person with "
                f"tool.acting_as(...)), not {type(tool).__name__}"
            )
        self.tool = tool
        self.restore_tool: UsersRestorePhoto | None = (
            None if tool.keep_previous is False else tool.restore_tool()
        )
        # The headers of register_api('slack', headers=...), kept here, in memory only:
        # never in the agent's context, history or spec cache.
        self._registered_headers: dict[str, str] = {}

    @property
    def registered_authorization(self) -> str | None:
        return authorization_of(self._registered_headers)

    @property
    def registered_headers(self) -> dict[str, str]:
        """The headers registered for Slack (a copy): they serve Slack tools found later."""
        return dict(self._registered_headers)

    def base_url_refusal(self, base_url: object) -> str | None:
        """Why ``register_api('slack', base_url=...)`` is refused; None when it is not.

        It cannot move this tool: its Slack address, where the token goes, is the tool's
        own setting. One that differs is refused (it was dropped without a word, the token
        still going to the tool's address). Returned, not raised: the caller's frame holds
        the registration's headers, and lets go of them before it raises."""
        if base_url is None or base_url == "":
            return None
        if not same_slack(str(base_url), self.tool.base_url):
            return (
                f"register_api('slack', base_url=...) does not move {self.tool.name}: it calls "
                f"Slack at {self.tool.base_url}, the tool's own setting; give the address to "
                "the tool (UsersSetPhoto(base_url=...), register(agent, base_url=...), or "
                "$SLACK_API_URL), or leave base_url out"
            )
        return None

    def discovery_arguments(
        self, base_url: str | None, headers: Mapping[str, str] | None
    ) -> tuple[str | None, Mapping[str, str] | None]:
        """The ``base_url`` and ``headers`` a ``register_api('slack', spec_url)`` discovery
        runs with. Given no headers, it gets those registered before (offline), so the
        Slack tools it finds are served as this tool is, and then at the Slack they were
        given for, the tool's address, never the spec's own host."""
        if headers is not None or not self._registered_headers:
            return base_url, headers
        return base_url or self.tool.base_url, self.registered_headers

    def remember_headers(self, headers: Mapping[str, str] | None) -> None:
        """Keep the headers of ``register_api('slack', headers=...)`` for later calls (the
        Authorization for usersSetPhoto, all of them for the Slack tools found later)."""
        if not headers:
            return
        if authorization_of(headers) is not None:  # one Authorization: the latest given
            for name in [n for n in self._registered_headers if is_authorization(n)]:
                del self._registered_headers[name]
        for name, value in headers.items():
            if isinstance(name, str) and isinstance(value, str):
                self._registered_headers[name] = value

    @property
    def tool_names(self) -> tuple[str, ...]:
        """The tools this route offers: usersSetPhoto, and usersRestorePhoto when keeping."""
        if self.restore_tool is None:
            return (self.tool.name,)
        return (self.tool.name, self.restore_tool.name)

    def handles(self, tool_name: object, api_name: object = None) -> bool:
        """Whether ``call_tool(tool_name, ..., api_name)`` is one of this route's tools.

        Any falsy ``api_name`` ("" too) is no API given, as ocp-agent reads it (``if
        api_name:``): its own call would find this tool in every API it knows, Slack's
        among them, and send the seed's generic request with the raw parameters."""
        return tool_name in self.tool_names and (not api_name or is_slack(api_name))

    def slack_key(self, agent: Any) -> str:
        """The key under which the agent keeps Slack's API (names compare stripped, lower-cased)."""
        for key in agent.known_apis:
            if is_slack(key):
                return str(key)
        return API_NAME

    def offer(self, agent: Any) -> Any:
        """Put this tool in the agent's Slack API, replacing any generic usersSetPhoto.

        The spec returned (and kept) may also be awaited, so that the seed's
        ``await agent.register_api('slack')`` works on ocp-agent's synchronous agent.
        """
        key = self.slack_key(agent)
        definitions = [ocp_tool_of(self.tool.spec, self.tool.model_description)]
        if self.restore_tool is not None:
            restore = companion_spec(RESTORE_TOOL_NAME)
            definitions.append(ocp_tool_of(restore, companion_told(restore.description)))
        spec = agent.known_apis.get(key)
        if spec is None:
            spec = slack_api_spec(definitions, self.tool.base_url)
            agent.known_apis[key] = spec
            add_api_spec = getattr(getattr(agent, "context", None), "add_api_spec", None)
            if callable(add_api_spec):
                add_api_spec(key, "ocp-users-photo")
        else:
            if not hasattr(type(spec), "__await__"):
                # The library's own object: ocp-agent's discovery keeps it (by spec_url) and
                # hands it out again, to another name or once its disk cache expired, and
                # writes it to ~/.ocp then. Changed in place, it would carry this tool there
                # (its description names the image roots, folders of this machine).
                spec = copy.copy(spec)
                spec.tools = list(spec.tools)
                agent.known_apis[key] = spec
            offered = {self.tool.name, RESTORE_TOOL_NAME}
            spec.tools[:] = [
                existing
                for existing in spec.tools
                if getattr(existing, "name", None) not in offered
            ]
            spec.tools.extend(definitions)
        return awaitable(spec)

    @contextlib.contextmanager
    def rediscovering(self, agent: Any) -> Iterator[None]:
        """The agent's Slack API moved aside for the block (its own discovery of a
        ``spec_url`` runs inside, in a worker thread: ocp-agent discovers only a name it
        does not know). Meanwhile ``list_tools()`` still lists this tool and the Slack tools
        an earlier discovery found (they vanished for the discovery's length); if it fails,
        the API is put back under its name."""
        key = self.slack_key(agent)
        before = agent.known_apis.pop(key, None)
        if before is not None:
            agent.known_apis[_UNTIL_DISCOVERED] = before
        try:
            yield
        except BaseException:
            if before is not None and not any(is_slack(name) for name in agent.known_apis):
                agent.known_apis[key] = before
            raise
        finally:
            # Only its own: another discovery begun meanwhile may have moved its API aside
            # there (or, finding none, left this one's), and still runs.
            if before is not None and agent.known_apis.get(_UNTIL_DISCOVERED) is before:
                del agent.known_apis[_UNTIL_DISCOVERED]

    def serve_discovered(self, agent: Any, headers: Mapping[str, str]) -> None:
        """The registered ``headers`` on the Slack tools a discovery found, where ocp-agent made
        no client for them: it makes none for a spec its cache answers with (nor names that
        spec, by which its calls find the client). Only at the tool's own address, where they
        were given for; a client already there is left as it is."""
        clients = getattr(agent, "api_clients", None)
        key = self.slack_key(agent)
        spec = agent.known_apis.get(key)
        if not isinstance(clients, dict) or spec is None:
            return
        base_url = str(getattr(spec, "base_url", "") or "")
        if not same_slack(base_url, self.tool.base_url):
            return  # cached for another address: the token goes nowhere else
        if key in clients:
            # Made by an earlier discovery, left as it is; the spec a cache answered with
            # now names nothing, and the Slack tools' calls found no client by it.
            if getattr(spec, "name", None) is None:
                spec.name = key
            return
        try:
            from ocp_agent import OCPHTTPClient
        except ImportError:
            return
        client = OCPHTTPClient(agent.context, base_url=base_url)
        client.http_client.headers.update(headers)
        clients[key] = client
        if getattr(spec, "name", None) is None:
            spec.name = key  # as ocp-agent names what it discovers: its calls find the client by it

    async def call(
        self,
        agent: Any,
        parameters: Mapping[str, Any] | None,
        *,
        authorization: AuthorizationHeader | None = None,
        tool_name: str | None = None,
    ) -> dict[str, Any]:
        """The checked call, recorded in the agent's history without token or bytes.

        ``authorization``: the call's own Authorization header (``held_authorization``).

        ``tool_name`` usersRestorePhoto runs the undo: the list of kept photos, or the one
        put back; a failure raises, as usersSetPhoto's do.
        """
        if self.person is None:
            return await self._call(agent, parameters, authorization, tool_name)
        with acting_as(self.person):
            return await self._call(agent, parameters, authorization, tool_name)

    async def _call(
        self,
        agent: Any,
        parameters: Mapping[str, Any] | None,
        authorization: AuthorizationHeader | None,
        tool_name: str | None,
    ) -> dict[str, Any]:
        arguments: Mapping[str, Any] = {} if parameters is None else parameters
        given = None if authorization is None else authorization.value()
        override = self._override(given, acting_person())
        del given  # held only in the override (no text in this frame's locals)
        # A token from the agent's headers is not the source's to install again (run_with).
        source = self.tool.token_source if override is None else None
        observer = HistoryObserver(agent, install_from=source)
        if self.restore_tool is not None and tool_name == self.restore_tool.name:
            return await self._restore(self.restore_tool, arguments, override, observer)
        reply, _ = await self.tool.call_with_summary(
            arguments,
            digest=True,
            model_facing=True,
            token_override=override,
            observers=(observer,),
        )
        return reply

    async def _restore(
        self,
        restore_tool: UsersRestorePhoto,
        arguments: Mapping[str, Any],
        override: TokenOverride | None,
        observer: HistoryObserver,
    ) -> dict[str, Any]:
        """The undo, in the agent's history whatever it did: a photo put back is told to
        the observer as a change; the list, and a refusal before any change, are recorded
        here (they left no trace, and a model reading the history never saw a failed undo)."""
        untold = CallInfo(
            tool_name=restore_tool.name,
            method="POST",
            endpoint=self.tool.endpoint,
            arguments=safe_view(arguments, self.tool._known_token_secrets(override)),
            person=acting_person(),
        )
        told_before = observer.calls_started
        try:
            result = await restore_tool.call_with(
                arguments, token_override=override, observers=(observer,)
            )
        except UsersPhotoError as error:
            if observer.calls_started == told_before:
                await observer.call_untold(untold, error=error)
            raise
        if observer.calls_started == told_before:
            await observer.call_untold(untold, error=None)
        return result

    def _override(
        self, call_authorization: str | None, person: ActingPerson | None
    ) -> TokenOverride | None:
        """The token an Authorization header gives this call, if any.

        With a person bound (``register(agent, tool=tool.acting_as(...))``, or the host's
        ``acting_as`` around the call: ``person``) the tool's own token source decides: the
        header registered for the Slack API at large (other Slack tools' token) is not
        used, and one given to this very call is refused, since either would act for
        whoever owns that token instead of the bound person.
        """
        if person is None:
            if call_authorization is not None:
                return token_override(call_authorization, origin=_CALL_ORIGIN)
            if not isinstance(self.tool.token_source, StaticToken | NoToken):
                # A source of the host's (an installation store: a token per person) says
                # whose token it is: the header registered for the Slack API at large would
                # change its owner's photo whenever the host forgot to bind the person.
                return None
            return token_override(self.registered_authorization, origin=_REGISTER_ORIGIN)
        if call_authorization is None:
            return None
        return TokenOverride(
            value="",
            origin=_CALL_ORIGIN,
            problem=Problem(
                TOKEN_PATH,
                f"this agent acts for {person}, with their own token; the Authorization "
                f"header of {_CALL_ORIGIN} would act for whoever owns that token: leave it out",
            ),
        )


def awaitable(spec: Any) -> Any:
    """``spec`` itself, made awaitable (``await spec`` gives ``spec``); its class's fields intact.

    The spec stays an instance of its class (ocp-agent's ``OCPAPISpec`` or the stand-in),
    through a subclass that adds only ``__await__``.
    """
    spec_class: Any = type(spec)
    if not hasattr(spec_class, "__await__"):
        spec.__class__ = _awaitable_class(spec_class)
    return spec


@functools.cache
def _awaitable_class(spec_class: Any) -> type:
    namespace = {
        "__await__": _await_itself,
        # Pickled and compared as the library's own class: the subclass is this package's
        # doing, and a caller pickling the spec or comparing it with another must not see it.
        "__reduce_ex__": _reduce_as_base,
        "__eq__": _equal_as_base,
        "__hash__": spec_class.__hash__,
    }
    subclass = type(spec_class.__name__, (spec_class,), namespace)
    subclass.__module__ = spec_class.__module__
    subclass.__qualname__ = spec_class.__qualname__
    return subclass


def _base_of(spec: Any) -> Any:
    return type(spec).__mro__[1]


def _reduce_as_base(self: Any, protocol: object) -> tuple[Any, ...]:
    """Pickled as an instance of the library's class (unpickled without ``__await__``)."""
    return (rebuilt_as, (_base_of(self), dict(vars(self))))


def rebuilt_as(spec_class: Any, fields: dict[str, Any]) -> Any:
    """An instance of ``spec_class`` holding ``fields``: how a pickled spec comes back."""
    spec = spec_class.__new__(spec_class)
    spec.__dict__.update(fields)
    return spec


def _equal_as_base(self: Any, other: object) -> Any:
    """Equal to an instance of the library's class with the same fields, as the library's
    own dataclass equality would say of two of its instances."""
    base = _base_of(self)
    if not isinstance(other, base):
        return NotImplemented
    if dataclasses.is_dataclass(base):
        return all(
            getattr(self, field.name) == getattr(other, field.name)
            for field in dataclasses.fields(base)
            if field.compare
        )
    return base.__eq__(self, other)


def _await_itself(self: Any) -> Generator[Any, None, Any]:
    return self
    yield  # a generator: awaiting it returns at once, with the spec
