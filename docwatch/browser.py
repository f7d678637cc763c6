"""Pages drawn by JavaScript, rendered in headless Chromium driven by Playwright.

A source with `render = "browser"` is fetched as any page (so a 304 still skips everything),
then drawn in a browser until its DOM and its requests have been still for `settle` seconds,
and the DOM its scripts built goes through the same parser, store and alerts as any page.
One browser per process, started by the first page that needs it and reused; at most `pages`
pages render at once, each kept for the next; images, fonts, media and style sheets are
never loaded. Playwright never downloads a browser here: docwatch uses the system's Chromium
(Debian's `chromium-headless-shell`, else `chromium`), or the one `[fetch] browser` or the
environment variable DOCWATCH_CHROMIUM names.

The browser reaches no network of its own. The page it draws is the body already fetched,
and every request its scripts make is answered by the fetcher (`relay`): through the same
proxy, with the same CAs, and meeting the same boundary, judged at connect time, as any URL
the page chose. What Chromium would send around them (a WebSocket, WebRTC) goes to a proxy
that is not there.

Playwright's API is asynchronous and bound to one event loop: the browser lives in a thread
of its own running that loop, and check threads hand it pages to render.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from . import redact
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
ARGS = [*BASE_ARGS, *NOWHERE]  # ...and, to render watched pages, with no network of its own
INSTALL = ("install Chromium (Debian: apt-get install chromium-headless-shell, or chromium) or "
           "name it in [fetch] browser or DOCWATCH_CHROMIUM")
# The text is read from the DOM, which neither pictures, type nor style sheets change.
NEVER_LOADED = frozenset({"image", "font", "media", "stylesheet"})
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


# Each page counts the time since its DOM last changed: it has settled when that, and the
# time since its last request, reach `settle` with nothing in flight.
QUIET_SCRIPT = """(() => {
  let last = performance.now();
  new MutationObserver(() => { last = performance.now(); }).observe(document,
      {subtree: true, childList: true, characterData: true, attributes: true});
  Object.defineProperty(window, "__docwatchQuiet", {value: () => performance.now() - last});
})();"""
QUIET_SINCE = "window.__docwatchQuiet ? window.__docwatchQuiet() : 0"


class _Drawing:
    """One page being drawn: its first document (the body fetched), its requests in flight,
    and what was refused."""

    def __init__(self, body: bytes, content_type: str | None, timeout: float, way,
                 headers: dict[str, str]):
        self.body, self.content_type = body, content_type or "text/html"
        self.timeout, self.way = timeout, way
        self.headers = headers  # the source's own: sent to its own host alone
        self.served = False
        self.refused: list[str] = []
        self.in_flight = 0
        self.last_request = self.deadline = 0.0  # loop times, set as it starts


def find_chromium(configured: str | None = None) -> str | None:
    """The Chromium to use: the configured one, else the environment's, else the system's."""
    named = configured or os.environ.get("DOCWATCH_CHROMIUM")
    if named:
        return named
    return next((path for path in CANDIDATES if os.path.exists(path)), None)


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
        self._playwright = self._browser = self._context = None

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
        except Exception:  # noqa: BLE001 - a browser that will not close is ended with us
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    # in the browser's thread --------------------------------------------------------------
    async def _render(self, url: str, drawing: _Drawing) -> Rendered:
        timeout = drawing.timeout
        if self._ready is None or (self._ready.done() and self._ready.exception() is None
                                   and not self._browser.is_connected()):
            self._ready = asyncio.ensure_future(self._start())  # first use, or after a crash
        await asyncio.shield(self._ready)
        from playwright.async_api import Error, TimeoutError as PageTimeout

        async with self._slots:
            started = asyncio.get_running_loop().time()
            drawing.last_request, drawing.deadline = started, started + timeout
            page = self._idle.pop() if self._idle else await self._new_page()
            self._drawings[page] = drawing
            reusable = False
            try:
                await page.goto(url, wait_until="load", timeout=timeout * 1000)
                await self._settled(page, drawing)
                html = await page.content()
                reusable = True
                return Rendered(html, tuple(drawing.refused))
            except PageTimeout:
                raise FetchError("timeout", f"the page's scripts kept its network busy past "
                                            f"{timeout:g} s: it never finished drawing") from None
            except Error as e:
                raise FetchError("browser", f"the browser could not load the page: "
                                            f"{_first_line(e)}") from None
            finally:
                del self._drawings[page]
                await self._put_back(page, reusable)

    async def _new_page(self):
        page = await self._context.new_page()
        await page.add_init_script(QUIET_SCRIPT)
        await page.route("**/*", functools.partial(self._route, page))
        return page

    async def _put_back(self, page, reusable: bool) -> None:
        """A page drawn is emptied and kept for the next (a new one costs a renderer's start);
        one that failed is closed, whatever its scripts still do."""
        from playwright.async_api import Error

        try:
            if reusable and len(self._idle) < self.pages:
                self._idle.append(page)  # its next page replaces this one's document
            else:
                await page.close()
        except Error:
            pass  # the browser went away with it

    async def _settled(self, page, drawing: _Drawing) -> None:
        """Once loaded, until the page's DOM and its requests have been still for `settle`
        seconds (`PageTimeout` at the deadline): a page drawn after its data came is read
        as soon as it is, not after a fixed wait."""
        from playwright.async_api import TimeoutError as PageTimeout

        loop = asyncio.get_running_loop()
        while True:
            still = min(await page.evaluate(QUIET_SINCE) / 1000,
                        loop.time() - drawing.last_request)
            if not drawing.in_flight and still >= self.settle:
                return
            if loop.time() >= drawing.deadline:
                raise PageTimeout("not settled")
            await asyncio.sleep(min(max(self.settle - still, 0.02),
                                    max(drawing.deadline - loop.time(), 0.0)))

    async def _route(self, page, route) -> None:
        drawing = self._drawings.get(page)
        if drawing is None:  # between two pages: nothing is asked for a page not being drawn
            await route.abort()
            return
        await self._answer(drawing, route)

    async def _answer(self, drawing: _Drawing, route) -> None:
        """A request of the page: the fetched body for its document, the fetcher's answer for
        the rest, nothing for what a reader of the text needs not (`NEVER_LOADED`)."""
        from playwright.async_api import Error

        request = route.request
        try:
            if request.resource_type in NEVER_LOADED:
                await route.abort()
            elif not drawing.served and request.is_navigation_request():
                drawing.served = True
                await route.fulfill(status=200, body=drawing.body,
                                    headers={"content-type": drawing.content_type})
            else:
                await self._relayed(drawing, route)
        except Error:
            pass  # the page was closed while its request was answered

    async def _relayed(self, drawing: _Drawing, route) -> None:
        request = route.request
        headers = {k: v for k, v in (await request.all_headers()).items()
                   if k.lower() not in _HOP and not k.startswith(":")}
        if drawing.headers and drawing.way and home_of(request.url) == drawing.way.home:
            headers.update(drawing.headers)  # an Authorization goes to no other host
        # Past the page's deadline: a request still unanswered then is the page not drawn.
        ask = functools.partial(self.relay, request.method, request.url, headers,
                                request.post_data_buffer, timeout=drawing.timeout + 1,
                                way=drawing.way)
        drawing.in_flight += 1
        try:
            answer = await asyncio.get_running_loop().run_in_executor(self._relays, ask)
        except FetchError as e:
            if e.kind == "blocked":
                drawing.refused.append(f"the page's script asked for "
                                       f"{redact.source_url(request.url)}: {e}")
            await route.abort("blockedbyclient" if e.kind == "blocked" else "failed")
            return
        finally:
            drawing.in_flight -= 1
            drawing.last_request = asyncio.get_running_loop().time()
        sent: dict[str, str] = {}
        for name, value in answer.headers:
            if name.lower() not in _HOP:
                sep = "\n" if name.lower() == "set-cookie" else ", "
                sent[name] = f"{sent[name]}{sep}{value}" if name in sent else value
        await route.fulfill(status=answer.status, headers=sent, body=answer.body)

    async def _start(self) -> None:
        try:
            from playwright.async_api import Error, async_playwright
        except ImportError:
            raise FetchError("browser", 'rendering pages needs Playwright: pip install '
                                        '"docwatch[browser]", then ' + INSTALL) from None
        if not self.executable or not os.path.exists(self.executable):
            where = f"at {self.executable}" if self.executable else "on this machine"
            raise FetchError("browser", f"no Chromium {where}: {INSTALL}")
        try:
            self._playwright = await async_playwright().start()
            self._browser = await self._playwright.chromium.launch(
                executable_path=self.executable, args=ARGS, headless=True)
            self._context = await self._browser.new_context(
                user_agent=self.user_agent, service_workers="block")
        except Error as e:
            raise FetchError("browser", f"Chromium ({self.executable}) did not start: "
                                        f"{_first_line(e)}; " + INSTALL) from None
        self._slots = asyncio.Semaphore(self.pages)
        self._idle: list = []  # pages drawn before, emptied, to draw the next
        self._drawings: dict = {}  # page -> the drawing it is doing
        self._relays = ThreadPoolExecutor(self.pages * 4, thread_name_prefix="docwatch-relay")

    async def _stop(self) -> None:
        if getattr(self, "_relays", None) is not None:
            self._relays.shutdown(wait=False, cancel_futures=True)
        for thing, how in ((self._browser, "close"), (self._playwright, "stop")):
            if thing is not None:
                try:
                    await getattr(thing, how)()
                except Exception:  # noqa: BLE001 - already gone
                    pass


def _first_line(e: Exception) -> str:
    """Playwright's errors run to a page of call log: the line that says what happened."""
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
