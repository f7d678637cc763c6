"""`docwatch run` as a real process whose JSON log events a test can wait for."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from pathlib import Path

from .conftest import EXE


class Run:
    """A `docwatch run --log-format json` process whose log events a test can wait for."""

    def __init__(self, tmp: Path, config: str):
        self.config = tmp / "docwatch.toml"
        self.config.write_text(config, encoding="utf-8")
        self.db = tmp / "watch.db"
        self.events: list[dict] = []
        self.changed = threading.Condition()
        self.proc = subprocess.Popen(
            [str(EXE), "--db", str(self.db), "--config", str(self.config), "run",
             "--log-format", "json"],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                event = {"event": "unparsed", "message": line.rstrip()}
            with self.changed:
                self.events.append(event)
                self.changed.notify_all()

    def of(self, kind: str, **match) -> list[dict]:
        with self.changed:
            return [e for e in self.events if e.get("event") == kind
                    and all(e.get(k) == v for k, v in match.items())]

    def wait(self, kind: str, n: int = 1, timeout: float = 20, **match) -> list[dict]:
        with self.changed:
            ok = self.changed.wait_for(lambda: len(self.of(kind, **match)) >= n, timeout)
        if not ok:
            raise TimeoutError(f"{n} {kind!r} event(s) expected; log: {self.events}")
        return self.of(kind, **match)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self.reader.join(timeout)
        return code
