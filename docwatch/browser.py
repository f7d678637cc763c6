"""Pages drawn by JavaScript, rendered in headless Chromium driven over its DevTools pipe.

A source with `render = "browser"` is fetched as any page (so a 304 still skips everything),
then drawn in a browser until its DOM and its requests have been still for `settle` seconds,
or for a moment with nothing left to do (`drawing.js`), and the DOM its scripts built goes
through the same parser, store and alerts as any page. One browser per process, started by
the first page that needs it and reused; at most `pages` pages render at once, each kept for
the next, sharing a renderer process a CPU; images, fonts, media and style sheets are never
loaded. docwatch uses the system's Chromium (Debian's `chromium-headless-shell`, else
`chromium`), or the one `[fetch] browser` or the environment variable DOCWATCH_CHROMIUM
names, and drives it with the DevTools protocol over a pipe (`cdp`): no driver process
between, nothing to install but Chromium.

The browser reaches no network of its own. The page it draws is the body already fetched,
and every request its scripts make is answered by the fetcher (`relay`): through the same
proxy, with the same CAs, and meeting the same boundary, judged at connect time, as any URL
the page chose. What Chromium would send around them (a WebSocket, WebRTC) goes to a proxy
that is not there.

The protocol is asynchronous: the browser lives in a thread of its own running an event loop,
and check threads hand it pages to render.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from importlib import resources
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from . import cdp, redact
from .boundary import home_of
from .errors import FetchError

# The headless shell first (Debian's chromium-headless-shell): Chromium's rendering without
# the browser around it, which a reader of the text does not need.
CANDIDATES = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium", "/usr/bin/chromium-browser",
              "/usr/bin/google-chrome")
# The proxy is a closed port (discard's), and loopback is not exempt from it: whatever
# Chromium would send itself instead of asking `relay` goes nowhere.
NOWHERE = ["--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
           "--force-webrtc-ip-handling-policy=disable_non_proxied_udp"]
#: Chromium as any headless use here starts it (the reading view's tests, too).
BASE_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
             "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
# Pages at once share this many renderer processes, one a CPU: a page settling waits and
# needs none of its own, and a process of its own is 30 MB and 60 ms of CPU more per page
# on another site (bench/render.py).
RENDERERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
    os.cpu_count() or 1)
# A renderer keeps some of every page it drew, even once collected: after this many pages the
# pages at once move to a fresh context, and the old one's processes end with it.
CONTEXT_PAGES = 100
# What the pages before left in a renderer is collected every few pages, between two pages,
# or it stays until the renderer has to (50 pages, bench/render.py: collected after every
# page 320 MB and 0.5 s more; never, 400 MB).
COLLECT_EVERY = 4
# ...and, to render watched pages: with no network of its own, nothing of the browser around
# them, and every page at work though none is in front (timers of a page in the background
# are otherwise slowed to one a second).
ARGS = [*BASE_ARGS, *NOWHERE, f"--renderer-process-limit={RENDERERS}", "--headless",
        "--no-startup-window", "--disable-extensions",
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows", "--disable-back-forward-cache",
        "--disable-hang-monitor", "--disable-breakpad", "--disable-default-apps",
        "--disable-field-trial-config", "--mute-audio", "--hide-scrollbars",
        "--password-store=basic", "--use-mock-keychain"]
INSTALL = ("install Chromium (Debian: apt-get install chromium-headless-shell, or chromium) or "
           "name it in [fetch] browser or DOCWATCH_CHROMIUM")
# The text is read from the DOM, which neither pictures, type nor style sheets change.
NEVER_LOADED = frozenset({"Image", "Font", "Media", "Stylesheet"})
SETTLE = 0.25
# Not passed on to the fetcher (it sets its own, and decodes the body it hands back), nor
# back to the browser (the body is whole and decoded).
_HOP = frozenset({"host", "connection", "content-length", "transfer-encoding", "keep-alive",
                  "accept-encoding", "content-encoding", "upgrade", "proxy-connection", "te"})


@dataclass(frozen=True)
class Rendered:
    """A page as drawn, and the requests of its scripts the boundary refused (one line each)."""

    html: str
    refused: tuple[str, ...] = ()


# Each page counts the time since its DOM last changed, and what it still has scheduled
# (`drawing.js`): it has settled when its DOM and its requests have been still for `settle`,
# or for `BRIEF` with nothing scheduled that could change it within `settle` and nothing in
# flight: a page with nothing left to do is read at once, one still at work is waited for.
DRAWING_SCRIPT = (resources.files("docwatch") / "drawing.js").read_text(encoding="utf-8")
BRIEF = 0.05  # long enough for a request or a change just made to show
# A service worker would answer the page's requests itself, past `relay`.
NO_SERVICE_WORKERS = """if (navigator.serviceWorker) navigator.serviceWorker.register = () =>
  Promise.reject(new DOMException("service workers are blocked", "SecurityError"));"""
# The document as a browser's "view source of the DOM" gives it: its doctype, then its markup.
CONTENT = """(document.doctype ? new XMLSerializer().serializeToString(document.doctype) : "")
  + (document.documentElement ? document.documentElement.outerHTML : "")"""


class _Drawing:
    """One page being drawn: its first document (the body fetched), its requests in flight,
    and what was refused."""

    def __init__(self, body: bytes, content_type: str | None, timeout: float, way,
                 headers: dict[str, str]):
        self.body, self.content_type = body, content_type or "text/html"
        self.timeout, self.way = timeout, way
        self.headers = headers  # the source's own: sent to its own host alone
        self.served = False  # its document: the body fetched, once
        self.refused: list[str] = []
        self.in_flight = 0
        self.last_request = 0.0  # a loop time, set as it starts


def find_chromium(configured: str | None = None) -> str | None:
    """The Chromium to use: the configured one, else the environment's, else the system's."""
    named = configured or os.environ.get("DOCWATCH_CHROMIUM")
    if named:
        return named
    return next((path for path in CANDIDATES if os.path.exists(path)), None)


@dataclass(frozen=True)
class _Tab:
    """A page of the browser: its target, the session its commands and events go by, and the
    context it is in."""

    target: str
    session: str
    context: str


class Browser:
    """One headless Chromium, shared by a process's checks."""

    def __init__(self, executable: str | None = None, *, pages: int = 4,
                 user_agent: str | None = None, relay: Callable | None = None,
                 settle: float = SETTLE):
        self.executable = find_chromium(executable)
        self.settle = settle  # seconds the DOM and the network stay still: the page is drawn
        self.relay = relay  # `Fetcher.relay`: every request a page makes
        self.pages = pages
        self.user_agent = user_agent
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="docwatch-browser")
        self._thread.start()
        self._ready: asyncio.Future | None = None  # the start, shared by the first renders
        self._cdp: cdp.Connection | None = None
        self._profile: str | None = None
        self._relays: ThreadPoolExecutor | None = None

    def render(self, url: str, body: bytes, *, content_type: str | None, timeout: float,
               headers: dict[str, str] | None = None, way=None) -> Rendered:
        """The page (`body`, as fetched from `url`) once its scripts have drawn it and its
        network has been quiet; `FetchError` says why not: `browser` (none, or it failed) or
        `timeout`. `way`: how its requests are reached (`fetch.Way`)."""
        drawing = _Drawing(body, content_type, timeout, way, headers or {})
        job = asyncio.run_coroutine_threadsafe(self._render(url, drawing), self._loop)
        try:
            return job.result(timeout + 30)  # the start and the page's own timeout inside
        except TimeoutError:
            job.cancel()
            raise FetchError("timeout", f"the browser did not answer within {timeout:g} s") \
                from None

    def close(self) -> None:
        if not self._loop.is_running():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(15)
            if self._relays is not None:
                self._relays.shutdown(wait=False, cancel_futures=True)
        except Exception:  # noqa: BLE001 - a browser that will not close is ended with us
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    # in the browser's thread --------------------------------------------------------------
    async def _render(self, url: str, drawing: _Drawing) -> Rendered:
        if self._ready is None or (self._ready.done() and self._ready.exception() is None
                                   and self._cdp.closed):
            self._ready = asyncio.ensure_future(self._start())  # first use, or after a crash
        await asyncio.shield(self._ready)
        async with self._slots:
            drawing.last_request = asyncio.get_running_loop().time()
            tab = None
            reusable = False
            try:
                tab = self._idle.pop() if self._idle else await self._new_tab()
                self._drawings[tab.session] = drawing
                await asyncio.wait_for(self._draw(tab, url, drawing), drawing.timeout)
                html = await self._evaluate(tab, CONTENT)
                self._drawn[tab.context] += 1
                if not self._drawn[tab.context] % COLLECT_EVERY:
                    await self._cdp.send("HeapProfiler.collectGarbage", {}, tab.session)
                reusable = True
                return Rendered(html, tuple(drawing.refused))
            except asyncio.TimeoutError:
                raise FetchError("timeout", f"the page's scripts kept its network busy past "
                                            f"{drawing.timeout:g} s: it never finished drawing"
                                 ) from None
            except cdp.ProtocolError as e:
                # What Chromium says may quote the page's URL, credentials and all.
                raise FetchError("browser", redact.scrub(
                    f"the browser could not load the page: {e}", url)) from None
            finally:
                if tab is not None:
                    self._drawings.pop(tab.session, None)
                    await self._put_back(tab, reusable)

    async def _draw(self, tab: _Tab, url: str, drawing: _Drawing) -> None:
        """The page loaded from `url` (its document the body fetched), then settled."""
        loaded = self._cdp.expect(tab.session, "Page.loadEventFired")
        crashed = self._cdp.expect(tab.session, "Inspector.targetCrashed")
        try:
            went = await self._cdp.send("Page.navigate", {"url": url}, tab.session)
            if went.get("errorText"):
                raise cdp.ProtocolError(went["errorText"])
            if "loaderId" not in went:  # the same document at another #fragment: load it anew
                loaded.cancel()
                loaded = self._cdp.expect(tab.session, "Page.loadEventFired")
                await self._cdp.send("Page.reload", {}, tab.session)
            done, _ = await asyncio.wait({loaded, crashed}, return_when=asyncio.FIRST_COMPLETED)
            if crashed in done:
                raise cdp.ProtocolError("the page crashed")
            await self._settled(tab, drawing)
        finally:
            loaded.cancel()
            crashed.cancel()

    async def _new_tab(self) -> _Tab:
        send = self._cdp.send
        async with self._switch:
            if self._drawn[self._context] >= CONTEXT_PAGES:
                await self._new_context()
        context = self._context
        target = (await send("Target.createTarget", {"url": "about:blank",
                                                     "browserContextId": context}))
        self._tabs_in[context] += 1
        session = (await send("Target.attachToTarget", {"targetId": target["targetId"],
                                                        "flatten": True}))["sessionId"]
        tab = _Tab(target["targetId"], session, context)
        self._cdp.on(session, "Fetch.requestPaused", functools.partial(self._paused, tab))
        # An alert would hold the page's scripts until someone answers it: no one will. A
        # page that asks before it is left is left.
        self._cdp.on(session, "Page.javascriptDialogOpening", lambda dialog: self._later(
            send("Page.handleJavaScriptDialog",
                 {"accept": dialog.get("type") == "beforeunload"}, session)))
        setup = [send("Page.enable", {}, session),
                 send("Page.addScriptToEvaluateOnNewDocument",
                      {"source": DRAWING_SCRIPT + NO_SERVICE_WORKERS}, session),
                 send("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session)]
        if self.user_agent:
            setup.append(send("Emulation.setUserAgentOverride", {"userAgent": self.user_agent},
                              session))
        await asyncio.gather(*setup)
        return tab

    async def _new_context(self) -> None:
        """A fresh context for the pages to come; the last one ends with its last page."""
        send = self._cdp.send
        context = (await send("Target.createBrowserContext"))["browserContextId"]
        await send("Browser.setDownloadBehavior",
                   {"behavior": "deny", "browserContextId": context})
        self._context, self._tabs_in[context] = context, 0
        await self._let_go()

    async def _let_go(self) -> None:
        """Every context but the current one whose last page is closed ends, and its renderer
        processes with it."""
        for context in [c for c, n in self._tabs_in.items() if not n and c != self._context]:
            del self._tabs_in[context]
            self._drawn.pop(context, None)
            await self._cdp.send("Target.disposeBrowserContext", {"browserContextId": context})

    async def _put_back(self, tab: _Tab, reusable: bool) -> None:
        """A page drawn is kept for the next, in its context while that has pages to draw;
        one that failed is closed, whatever its scripts still do."""
        current = tab.context == self._context and self._drawn[tab.context] < CONTEXT_PAGES
        if reusable and current and len(self._idle) < self.pages and not self._cdp.closed:
            self._idle.append(tab)  # its next page replaces this one's document
            return
        self._cdp.forget(tab.session)
        self._tabs_in[tab.context] -= 1
        try:
            await self._cdp.send("Target.closeTarget", {"targetId": tab.target})
            await self._let_go()
        except cdp.ProtocolError:
            pass  # the browser went away with it

    async def _evaluate(self, tab: _Tab, expression: str):
        answer = await self._cdp.send("Runtime.evaluate", {"expression": expression,
                                                           "returnByValue": True}, tab.session)
        if "exceptionDetails" in answer:
            raise cdp.ProtocolError(answer["exceptionDetails"].get("text", "script error"))
        return answer["result"].get("value")

    async def _settled(self, tab: _Tab, drawing: _Drawing) -> None:
        """Once loaded, until the page's DOM and its requests have been still for `settle`
        seconds, or briefly with nothing left to do: a page drawn after its data came is
        read as soon as it is, not after a fixed wait (the caller's timeout ends one that
        never is)."""
        loop = asyncio.get_running_loop()
        ask = f"window.__docwatchDrawing ? window.__docwatchDrawing({self.settle * 1000:g}) : null"
        while True:
            # A document without the hook (none of ours ran in it) is judged by its requests.
            state = await self._evaluate(tab, ask) or {"still": self.settle * 1000}
            still = min(state["still"] / 1000, loop.time() - drawing.last_request)
            done = not state.get("busy") and state.get("loaded")
            if not drawing.in_flight and (still >= self.settle or done and still >= BRIEF):
                return
            if drawing.in_flight:
                wait = BRIEF
            else:  # busy: looked at again soon, as what it waits for may end the drawing
                wait = BRIEF - still if done else min(self.settle - still, BRIEF)
            await asyncio.sleep(max(wait, 0.02))

    def _later(self, command) -> None:
        """A command sent from an event, whose answer nothing waits for."""
        task = asyncio.ensure_future(command)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    def _paused(self, tab: _Tab, event: dict) -> None:
        self._later(self._answer(tab, event))

    async def _answer(self, tab: _Tab, event: dict) -> None:
        """A request of the page: the fetched body for its document, the fetcher's answer for
        the rest, nothing for what a reader of the text needs not (`NEVER_LOADED`), nor for a
        page not being drawn."""
        drawing = self._drawings.get(tab.session)
        request_id = event["requestId"]
        try:
            if drawing is None or event.get("resourceType") in NEVER_LOADED:
                await self._fail(tab, request_id, "Failed")
            elif not drawing.served and event.get("resourceType") == "Document":
                drawing.served = True
                await self._fulfil(tab, request_id, 200,
                                   [("content-type", drawing.content_type)], drawing.body)
            else:
                await self._relayed(tab, drawing, event)
        except cdp.ProtocolError:
            pass  # the page was closed while its request was answered

    async def _relayed(self, tab: _Tab, drawing: _Drawing, event: dict) -> None:
        request = event["request"]
        url = request["url"]
        headers = {k: v for k, v in request.get("headers", {}).items()
                   if k.lower() not in _HOP and not k.startswith(":")}
        if drawing.headers and drawing.way and home_of(url) == drawing.way.home:
            headers.update(drawing.headers)  # an Authorization goes to no other host
        # Past the page's deadline: a request still unanswered then is the page not drawn.
        ask = functools.partial(self.relay, request["method"], url, headers, _posted(request),
                                timeout=drawing.timeout + 1, way=drawing.way)
        loop = asyncio.get_running_loop()
        drawing.in_flight += 1
        try:
            answer = await loop.run_in_executor(self._relays, ask)
        except FetchError as e:
            if e.kind == "blocked":
                drawing.refused.append(f"the page's script asked for "
                                       f"{redact.source_url(url)}: {e}")
            await self._fail(tab, event["requestId"],
                             "BlockedByClient" if e.kind == "blocked" else "Failed")
            return
        finally:
            drawing.in_flight -= 1
            drawing.last_request = loop.time()
        sent = [(name, value) for name, value in answer.headers if name.lower() not in _HOP]
        await self._fulfil(tab, event["requestId"], answer.status, sent, answer.body)

    async def _fulfil(self, tab: _Tab, request_id: str, status: int,
                      headers: list[tuple[str, str]], body: bytes) -> None:
        await self._cdp.send("Fetch.fulfillRequest", {
            "requestId": request_id, "responseCode": status,
            "responseHeaders": [{"name": k, "value": v} for k, v in headers],
            "body": base64.b64encode(body).decode("ascii")}, tab.session)

    async def _fail(self, tab: _Tab, request_id: str, reason: str) -> None:
        await self._cdp.send("Fetch.failRequest", {"requestId": request_id,
                                                   "errorReason": reason}, tab.session)

    async def _start(self) -> None:
        if not self.executable or not (os.path.exists(self.executable)
                                       or shutil.which(self.executable)):
            where = f"at {self.executable}" if self.executable else "on this machine"
            raise FetchError("browser", f"no Chromium {where}: {INSTALL}")
        if self._cdp is not None:  # after a crash: what is left of the last one
            await self._stop()
        self._slots = asyncio.Semaphore(self.pages)
        self._switch = asyncio.Lock()  # one new context at a time
        self._context: str | None = None
        self._drawn: collections.Counter[str] = collections.Counter()  # pages, by context
        self._tabs_in: collections.Counter[str] = collections.Counter()  # open, by context
        self._idle: list[_Tab] = []  # pages drawn before, to draw the next
        self._drawings: dict[str, _Drawing] = {}  # a page's session -> the drawing it does
        self._profile = tempfile.mkdtemp(prefix="docwatch-chromium-")
        try:
            self._cdp = await cdp.Connection.launch(
                self.executable, [*ARGS, f"--user-data-dir={self._profile}"])
            await self._new_context()
        except (OSError, cdp.ProtocolError) as e:
            await self._stop()
            raise FetchError("browser", f"Chromium ({self.executable}) did not start: {e}; "
                                        + INSTALL) from None
        if self._relays is None:
            self._relays = ThreadPoolExecutor(self.pages * 4, thread_name_prefix="docwatch-relay")

    async def _stop(self) -> None:
        if self._cdp is not None:
            await self._cdp.close()
            self._cdp = None
        if self._profile:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None


def _posted(request: dict) -> bytes | None:
    """The body a request sends, as the protocol gives it (in parts, or as text)."""
    if parts := request.get("postDataEntries"):
        return b"".join(base64.b64decode(p.get("bytes", "")) for p in parts)
    posted = request.get("postData")
    return posted.encode("utf-8") if posted is not None else None
