"""The Chrome DevTools Protocol over a pipe, as `browser` drives Chromium with it.

Chromium started with `--remote-debugging-pipe` reads commands on its file descriptor 3 and
writes answers and events on 4, each a JSON message ended by a NUL byte: the same protocol,
and the same pipe, Playwright and Puppeteer drive it with, without their Node.js driver
between (a process of its own, as large as the rest of a run, and a second hop for every
request a page makes). Sessions are flat: a page's commands and events carry its
`sessionId` on the browser's one pipe.

Asynchronous, on the event loop that opened it; `ProtocolError` is a command Chromium
refused, `Closed` the browser gone (what it last said on stderr with it).
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import os
import shutil
import signal
from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], None]
_LAST_WORDS = 5  # lines of Chromium's stderr kept to say why it went


class ProtocolError(Exception):
    """A command Chromium answered with an error."""


class Closed(ProtocolError):
    """The browser exited, or closed its end of the pipe."""


class Connection:
    """One Chromium and its pipe: `send` a command, `on` events of a session, `expect` one."""

    def __init__(self, pid: int, commands: asyncio.WriteTransport, answers: int, errors: int):
        self.pid = pid
        self._loop = asyncio.get_running_loop()
        self._out = commands  # buffered by the loop: a large body never blocks it
        self._answers, self._errors = answers, errors
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._handlers: dict[tuple[str | None, str], Handler] = {}
        self._expected: dict[tuple[str | None, str], list[asyncio.Future]] = {}
        self._said: collections.deque[str] = collections.deque(maxlen=_LAST_WORDS)
        self._buffer = self._err_buffer = b""
        self.closed = False
        os.set_blocking(answers, False)
        os.set_blocking(errors, False)
        self._loop.add_reader(answers, self._readable)
        self._loop.add_reader(errors, self._stderr)

    @classmethod
    async def launch(cls, executable: str, args: list[str]) -> Connection:
        """Chromium started with `args` and its end of the pipe; `OSError` if it cannot be."""
        path = shutil.which(executable) or executable
        to_chromium, commands = os.pipe()
        answers, from_chromium = os.pipe()
        errors, stderr = os.pipe()
        try:
            pid = os.posix_spawn(
                path, [path, *args, "--remote-debugging-pipe"], dict(os.environ),
                file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                              (os.POSIX_SPAWN_DUP2, stderr, 2),
                              (os.POSIX_SPAWN_DUP2, to_chromium, 3),
                              (os.POSIX_SPAWN_DUP2, from_chromium, 4)],
                setsid=True)  # a terminal's Ctrl-C is ours to pass on, not Chromium's
        except OSError:
            for fd in (commands, answers, errors):
                os.close(fd)
            raise
        finally:
            for fd in (to_chromium, from_chromium, stderr):
                os.close(fd)
        writer, _ = await asyncio.get_running_loop().connect_write_pipe(
            asyncio.Protocol, os.fdopen(commands, "wb", buffering=0))
        return cls(pid, writer, answers, errors)

    # commands and events -------------------------------------------------------------------
    async def send(self, method: str, params: dict[str, Any] | None = None,
                   session: str | None = None) -> dict[str, Any]:
        """Chromium's answer to `method`; `ProtocolError` if it refused it."""
        if self.closed:
            raise self._gone()
        n = next(self._ids)
        message: dict[str, Any] = {"id": n, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        answer = self._pending[n] = self._loop.create_future()
        self._out.write(json.dumps(message).encode() + b"\0")
        return await answer

    def on(self, session: str | None, method: str, handler: Handler | None) -> None:
        """Call `handler` with the params of every `method` event of `session` (None: stop)."""
        if handler is None:
            self._handlers.pop((session, method), None)
        else:
            self._handlers[(session, method)] = handler

    def expect(self, session: str | None, method: str) -> asyncio.Future:
        """A future of the params of the next `method` event of `session`."""
        future = self._loop.create_future()
        self._expected.setdefault((session, method), []).append(future)
        return future

    def forget(self, session: str) -> None:
        """Drop what waits on a session that is gone."""
        for key in [k for k in self._handlers if k[0] == session]:
            del self._handlers[key]
        for key in [k for k in self._expected if k[0] == session]:
            for future in self._expected.pop(key):
                future.cancel()

    async def close(self, timeout: float = 5.0) -> None:
        """Ask the browser to close; end it if it does not within `timeout` seconds."""
        if not self.closed:
            try:
                await asyncio.wait_for(self.send("Browser.close"), timeout)
            except (ProtocolError, asyncio.TimeoutError):
                pass
        self._lost()
        try:
            await asyncio.wait_for(self._loop.run_in_executor(None, _reap, self.pid), timeout)
        except asyncio.TimeoutError:
            os.kill(self.pid, signal.SIGKILL)
            await self._loop.run_in_executor(None, _reap, self.pid)

    # the pipe --------------------------------------------------------------------------------
    def _readable(self) -> None:
        chunk = _read(self._answers, 1 << 20)
        if chunk is None:
            return
        if not chunk:
            self._lost()
            return
        *messages, self._buffer = (self._buffer + chunk).split(b"\0")
        for raw in messages:
            self._dispatch(json.loads(raw))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            answer = self._pending.pop(message["id"], None)
            if answer is None or answer.done():
                return
            if "error" in message:
                answer.set_exception(ProtocolError(message["error"].get("message", "refused")))
            else:
                answer.set_result(message.get("result", {}))
            return
        key = (message.get("sessionId"), message.get("method", ""))
        params = message.get("params", {})
        for future in self._expected.pop(key, ()):
            if not future.done():
                future.set_result(params)
        if handler := self._handlers.get(key):
            handler(params)

    def _stderr(self) -> None:
        chunk = _read(self._errors, 1 << 16)
        if chunk is None:
            return
        if not chunk:
            self._loop.remove_reader(self._errors)
            return
        *lines, self._err_buffer = (self._err_buffer + chunk).split(b"\n")
        self._said.extend(line.decode("utf-8", "replace").strip() for line in lines
                          if line.strip())
        self._err_buffer = self._err_buffer[-4096:]

    def _gone(self) -> Closed:
        last = self._said[-1] if self._said else "no word on stderr"
        return Closed(f"the browser exited ({last})")

    def _lost(self) -> None:
        """The pipe is done: every command and wait fails with why."""
        if self.closed:
            return
        self.closed = True
        self._stderr()  # its last words, if they came with its exit
        for fd in (self._answers, self._errors):
            self._loop.remove_reader(fd)
        for future in [*self._pending.values(),
                       *itertools.chain.from_iterable(self._expected.values())]:
            if not future.done():
                future.set_exception(self._gone())
        self._pending.clear()
        self._expected.clear()
        self._handlers.clear()
        self._out.close()
        os.close(self._answers)
        os.close(self._errors)


def _read(fd: int, size: int) -> bytes | None:
    """What a non-blocking pipe has: None if nothing yet, b"" once it is closed."""
    try:
        return os.read(fd, size)
    except BlockingIOError:
        return None
    except OSError:
        return b""


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
