"""The five front doors, each reduced to one comparable Outcome with everything it produced.

- ``call``: ``await UsersSetPhoto.call(arguments)``, the reply or ``InvalidArguments``;
- ``run``: ``await UsersSetPhoto.run(arguments)``, the reply or the error object;
- ``agent``: ``await agent.call_tool('usersSetPhoto', arguments)`` on a registered stand-in;
- ``cli``: ``ocp-users-photo set IMAGE [--crop-x N ...] --image-root DIR --json``;
- ``mcp``: one ``ocp-users-photo mcp`` subprocess, called by the mcp SDK's stdio client.

Each Outcome keeps the texts the door produced (exception texts and reprs, returned
values, agent history, CLI output, MCP messages, server stderr) for the canary check.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import logging
import re
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from ocp_users_photo import UsersPhotoError, UsersSetPhoto, register
from tests.corpus import AGENT, CALL, CLI, MCP, RUN
from tests.standin_agent import AsyncStandInAgent
from tests.test_secrets import texts_of_error

TOOL: Final = "usersSetPhoto"
CLI_ERROR_CODES: Final = {2: "invalid_arguments"}  # the documented exit code of a refusal
# A problem's path in the CLI's one line: "...arguments: $.image: ...; $.crop_x: ...".
_CLI_PATH: Final = re.compile(r"(?:arguments: |; )(\$(?:\.[A-Za-z_][A-Za-z0-9_]*|\[[^\]]*\])): ")
_CLI_COUNT: Final = re.compile(r"nothing was sent to Slack, (\d+) problems? with the arguments")
_SECONDS: Final = 60


@dataclass
class Outcome:
    """What one door made of one input, in one shape for every door."""

    door: str
    ok: bool
    error: str | None = None
    # (path, message) pairs; None for the CLI, whose problems are only text on stderr.
    problems: list[tuple[str, str]] | None = None
    paths: frozenset[str] = frozenset()
    reply: dict[str, Any] | None = None
    stderr: str | None = None
    texts: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "door": self.door,
            "ok": self.ok,
            "error": self.error,
            "problems": None if self.problems is None else [list(p) for p in self.problems],
            "paths": sorted(self.paths),
            "reply": self.reply,
            "stderr": self.stderr,
            "texts": self.texts,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Outcome:
        problems = data["problems"]
        return cls(
            door=data["door"],
            ok=data["ok"],
            error=data["error"],
            problems=None if problems is None else [(path, text) for path, text in problems],
            paths=frozenset(data["paths"]),
            reply=data["reply"],
            stderr=data["stderr"],
            texts=list(data["texts"]),
        )

    def brief(self) -> str:
        """A line for an assertion message."""
        if self.ok:
            return f"{self.door}: ok"
        return f"{self.door}: {self.error} {sorted(self.paths)} {self.problems or self.stderr}"


def _refused(
    door: str, error: str, problems: Sequence[tuple[str, str]], texts: list[str]
) -> Outcome:
    listed = list(problems)
    return Outcome(
        door,
        ok=False,
        error=error,
        problems=listed,
        paths=frozenset(path for path, _ in listed),
        texts=texts,
    )


def _replied(door: str, reply: Mapping[str, Any], texts: list[str]) -> Outcome:
    dumped = dict(reply)
    return Outcome(
        door,
        ok=dumped.get("ok") is True,
        error=None if dumped.get("ok") is True else str(dumped.get("error")),
        problems=[] if dumped.get("ok") is True else None,
        reply=dumped,
        texts=[*texts, json.dumps(dumped, default=repr), repr(dumped)],
    )


def _raised(door: str, error: BaseException, texts: list[str]) -> Outcome:
    """An exception that is not the package's refusal: a finding, shown as such."""
    return Outcome(
        door,
        ok=False,
        error=f"raised {type(error).__name__}: {str(error)[:200]}",
        problems=[],
        texts=[*texts, *texts_of_error(error)],
    )


async def through_call(tool: UsersSetPhoto, arguments: Mapping[str, Any]) -> Outcome:
    texts = [repr(tool)]
    try:
        reply = await tool.call(dict(arguments))
    except UsersPhotoError as error:
        problems = [(p.path, p.message) for p in getattr(error, "problems", [])]
        return _refused(CALL, error.code, problems, [*texts, *texts_of_error(error)])
    except Exception as error:
        return _raised(CALL, error, texts)
    return _replied(CALL, reply, texts)


async def through_run(tool: UsersSetPhoto, arguments: Mapping[str, Any]) -> Outcome:
    try:
        result = await tool.run(dict(arguments))
    except Exception as error:
        return _raised(RUN, error, [repr(tool)])
    return _from_result(RUN, result, [json.dumps(result, default=repr), repr(result)])


def _from_result(door: str, result: Mapping[str, Any], texts: list[str]) -> Outcome:
    """An Outcome from run()'s shape: a reply, or {"ok": false, "error", "problems"}."""
    if result.get("ok") is True:
        return _replied(door, result, texts)
    problems = [(str(p.get("path")), str(p.get("message"))) for p in result.get("problems", [])]
    return _refused(door, str(result.get("error")), problems, texts)


def an_agent() -> Any:
    """ocp-agent's own agent where it is installed (CI), else the coroutine stand-in."""
    try:
        from ocp_agent import OCPAgent
    except ImportError:
        return AsyncStandInAgent()
    return OCPAgent(enable_cache=False)


def session_text(agent: Any) -> str:
    """What the agent sends as OCP-Session with its next request: the whole context."""
    if isinstance(agent, AsyncStandInAgent):
        return base64.b64decode(agent.context.session_header()).decode()
    from ocp_agent.headers import create_ocp_headers

    header = create_ocp_headers(agent.context)["OCP-Session"]
    if header.startswith("gzip:"):
        return gzip.decompress(base64.b64decode(header[5:])).decode()
    return base64.b64decode(header).decode()


async def through_agent(agent: Any, arguments: Mapping[str, Any]) -> Outcome:
    def history() -> list[str]:
        return [json.dumps(agent.context.history, default=repr), session_text(agent)]

    try:
        reply = await agent.call_tool(TOOL, dict(arguments))
    except UsersPhotoError as error:
        problems = [(p.path, p.message) for p in getattr(error, "problems", [])]
        return _refused(AGENT, error.code, problems, [*history(), *texts_of_error(error)])
    except Exception as error:
        return _raised(AGENT, error, history())
    return _replied(AGENT, reply, history())


async def through_python_doors(
    arguments: Mapping[str, Any], root: Path, base_url: str, environ: Mapping[str, str]
) -> list[Outcome]:
    """call, run and agent, each with its own tool on the same root, URL and token."""
    async with UsersSetPhoto(base_url=base_url, image_roots=[root], environ=environ) as tool:
        outcomes = [await through_call(tool, arguments), await through_run(tool, arguments)]
    agent = an_agent()
    agent_tool = register(agent, base_url=base_url, image_roots=[root], environ=environ)
    try:
        outcomes.append(await through_agent(agent, arguments))
    finally:
        await agent_tool.aclose()
    return outcomes


def through_cli(
    command: Sequence[str], words: Sequence[str], root: Path, env: Mapping[str, str], cwd: Path
) -> Outcome:
    """``command set --image-root ROOT --json WORDS``: exit 0 and the reply, or one stderr line."""
    finished = subprocess.run(
        [*command, "set", "--image-root", str(root), "--json", *words],
        capture_output=True,
        env=dict(env),
        cwd=cwd,
        timeout=_SECONDS,
        check=False,
    )
    out = finished.stdout.decode("utf-8", "surrogateescape")
    err = finished.stderr.decode("utf-8", "surrogateescape")
    texts = [out, err]
    if finished.returncode == 0:
        try:
            reply = json.loads(out)
        except ValueError:
            return Outcome(CLI, ok=False, error="exit 0 without a JSON reply", stderr=err)
        outcome = _replied(CLI, reply, texts)
        outcome.stderr = err
        return outcome
    paths = _CLI_PATH.findall(err)
    counted = _CLI_COUNT.search(err)
    error = CLI_ERROR_CODES.get(finished.returncode, f"exit {finished.returncode}")
    if counted is None or int(counted.group(1)) != len(paths):
        error += f" (stderr lists {len(paths)} paths, counts {counted and counted.group(1)})"
    return Outcome(CLI, ok=False, error=error, paths=frozenset(paths), stderr=err, texts=texts)


def _message_text(item: object) -> str:
    message = getattr(item, "message", item)  # a SessionMessage, or a bare message
    if hasattr(message, "model_dump_json"):
        return str(message.model_dump_json(by_alias=True))
    return repr(message)


class McpDoor:
    """One MCP server subprocess for the whole corpus, driven from a thread with its own loop.

    Every message the client receives is kept in ``received``; the server's stderr
    goes to ``stderr_path``. ``call`` is synchronous, for use from any test.
    """

    def __init__(
        self, command: Sequence[str], env: Mapping[str, str], cwd: Path, stderr_path: Path
    ) -> None:
        self._parameters = StdioServerParameters(
            command=command[0], args=list(command[1:]), env=dict(env), cwd=str(cwd)
        )
        self.stderr_path = stderr_path
        self.received: list[str] = []
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._client: ClientSession | None = None
        self._thread = threading.Thread(target=self._run, name="corpus-mcp", daemon=True)

    def __enter__(self) -> McpDoor:
        self._thread.start()
        if not self._ready.wait(_SECONDS) or self._client is None:
            raise RuntimeError("the MCP server did not start") from self._error
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(_SECONDS)
        if self._error is not None:
            raise RuntimeError("the MCP client failed") from self._error

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(errors="surrogateescape")

    def call(self, arguments: Mapping[str, Any]) -> Outcome:
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._call(arguments), self._loop)
        return future.result(_SECONDS)

    async def _call(self, arguments: Mapping[str, Any]) -> Outcome:
        assert self._client is not None
        seen = len(self.received)
        logged = len(self.stderr_text())
        try:
            result = await self._client.call_tool(
                TOOL, dict(arguments), read_timeout_seconds=_SECONDS
            )
        except Exception as error:
            return _raised(MCP, error, self.received[seen:])
        dumped: dict[str, Any] = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        texts = [*self.received[seen:], json.dumps(dumped), self.stderr_text()[logged:]]
        structured = dumped.get("structuredContent")
        content = dumped.get("content") or [{}]
        if not isinstance(structured, dict) or json.loads(content[0].get("text", "null")) != (
            structured
        ):
            return Outcome(MCP, ok=False, error="text and structuredContent differ", texts=texts)
        outcome = _from_result(MCP, structured, texts)
        if dumped.get("isError", False) is outcome.ok:
            outcome.ok = False
            outcome.error = f"isError is {dumped.get('isError')} for {structured.get('error')}"
        return outcome

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # handed to the test's thread
            self._error = error
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        with self.stderr_path.open("w") as errlog:
            async with stdio_client(self._parameters, errlog=errlog) as (read, write):
                forward, recorded = anyio.create_memory_object_stream[Any](0)

                async def record() -> None:
                    async with forward:
                        async for item in read:
                            self.received.append(_message_text(item))
                            await forward.send(item)

                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(record)
                    async with ClientSession(recorded, write) as client:
                        await client.initialize()
                        self._client = client
                        self._ready.set()
                        await self._stop.wait()
                    tasks.cancel_scope.cancel()


class LogTexts(logging.Handler):
    """Every record at DEBUG and above, formatted with its traceback (for the runner)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))
