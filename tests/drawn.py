"""Pages their scripts draw, for the browser's tests and for the pins of what it renders
(`scripts/pin_documents.py --rendered`): app shells whose text a script writes, from data
inline or fetched, and the demo's every version served as is with a script, and drawn after
load from a template, as client-rendered builds serve a page."""

from __future__ import annotations

import json
import re

from docwatch.demo.history import history

HTML = {"Content-Type": "text/html; charset=utf-8"}
JSON = {"Content-Type": "application/json"}
EVENTS = [{"date": "2025 m. kovo 3 d.", "text": "Ministras susitiko su Lenkijos gynybos ministru."},
          {"date": "2025 m. vasario 12 d.", "text": "Prasidėjo pratybos Pabradės poligone."}]
# A small script of the kind most government pages carry: it changes nothing of the text.
SCRIPT = b"<script>document.documentElement.classList.add('js');</script></body>"


def shell(script: str) -> bytes:
    """An app shell as a React or Vue build serves it: a mount point and a script."""
    return ("<!doctype html><html lang='lt'><head><title>Naujienos</title></head><body>"
            "<div id='root'></div><script>" + script + "</script></body></html>").encode()


def drawing(events) -> bytes:
    """The shell with its data inline, written into the page after load."""
    return shell("const events = " + json.dumps(events, ensure_ascii=False) + ";"
                 "setTimeout(() => { document.getElementById('root').innerHTML = "
                 "'<main><h1>Ministerijos naujienos</h1><h2>Renginiai</h2>' + events.map(e => "
                 "'<p><strong>' + e.date + '</strong></p><p>' + e.text + '</p>').join('') + "
                 "'</main>'; }, 50);")


def fetching(endpoint: str = "/api/events.json") -> bytes:
    """The shell drawing what it fetches from a JSON endpoint."""
    return shell(
        f"fetch('{endpoint}').then(r => r.json()).then(events => {{"
        "document.getElementById('root').innerHTML = '<main><h1>Ministerijos naujienos</h1>"
        "<h2>Renginiai</h2><ul>' + events.map(e => '<li>' + e.date + ' ' + e.text + '</li>')"
        ".join('') + '</ul></main>'; });")


FETCHING = fetching()
_BODY = re.compile(rb"(<body[^>]*>)(.*)(</body>)", re.S | re.I)


def from_template(body: bytes) -> bytes:
    """The page's body held in a <template> and drawn into the page by a script after load."""
    return _BODY.sub(lambda m: m[1] + b"<template id='page'>" + m[2] + b"</template><script>"
                     b"addEventListener('load', () => setTimeout(() => document.body.append("
                     b"document.getElementById('page').content), 30));</script>" + m[3],
                     body, count=1)


def pages() -> dict[str, dict[str, tuple[bytes, dict[str, str]]]]:
    """Name -> the paths its site serves, each (body, headers); the page is at "/"."""
    out = {"shell/inline": {"/": (drawing(EVENTS), HTML)},
           "shell/fetched": {"/": (FETCHING, HTML),
                             "/api/events.json": (json.dumps(EVENTS).encode(), JSON)}}
    for v in history():
        served = {"Content-Type": v.content_type}
        out[f"demo/{v.source}/{v.date}/script"] = {"/": (v.body.replace(b"</body>", SCRIPT, 1),
                                                         served)}
        out[f"demo/{v.source}/{v.date}/template"] = {"/": (from_template(v.body), served)}
    return out


DRAWN = "Ministras pristatė naują gynybos finansavimo planą."
_DRAW = ("function draw() { document.getElementById('root').innerHTML = '<main><h1>Naujienos"
         f"</h1><p>{DRAWN}</p></main>'; }}")
#: Pages that draw their text a while after load, each waiting on something else first (a
#: timer, frames, a scheduler's messages, a request, a worker's answer), and
#: changing nothing of their DOM until then: a reader that took a still DOM for a drawn page
#: would read them empty.
LATER = {
    "timer": "setTimeout(draw, 150);",
    "timer-as-code": "setTimeout('draw()', 150);",
    "interval": "let ticks = 0; const every = setInterval(() => { if (++ticks === 3) "
                "{ clearInterval(every); draw(); } }, 60);",
    "frames": "const until = performance.now() + 150; (function frame() { "
              "if (performance.now() < until) requestAnimationFrame(frame); else draw(); })();",
    "messages": "const until = performance.now() + 150, channel = new MessageChannel(); "
                "channel.port1.onmessage = () => { if (performance.now() < until) "
                "channel.port2.postMessage(0); else draw(); }; channel.port2.postMessage(0);",
    "xhr": "const x = new XMLHttpRequest(); x.open('GET', '/api/slow.json'); "
           "x.onload = draw; x.send();",
    "worker": "const worker = new Worker(URL.createObjectURL(new Blob(['onmessage = () => { "
              "const until = performance.now() + 150; while (performance.now() < until); "
              "postMessage(0); };']))); worker.onmessage = draw; worker.postMessage(0);",
}


def later(shape: str) -> bytes:
    """The shell that draws `DRAWN` once what `shape` waits on is done."""
    return shell(_DRAW + LATER[shape])
