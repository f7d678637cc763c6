"""Rewrite the outputs of the examples in docs/ (the cookbook's, the reading view's) from a
freshly built demo database.

    .venv/bin/python scripts/refresh_cookbook.py

Run after a change to the demo, the parser or the schema; `tests/test_readme.py` then checks
that every command still prints exactly what its page shows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).parent.parent / "docs"
# A command block, then its output block (possibly empty: a line never starts with ```).
EXAMPLE = re.compile(r"(```bash\n([^\n]+)\n```\n```\n)((?:(?!```)[^\n]*\n)*)(```)")


def main() -> None:
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    with tempfile.TemporaryDirectory() as where:
        subprocess.run([bindir / "docwatch", "demo"], cwd=where, env=env, check=True,
                       capture_output=True)

        def run(m: re.Match) -> str:
            out = subprocess.run(m.group(2), shell=True, executable="/bin/bash", cwd=where,
                                 env=env, capture_output=True, text=True, check=True).stdout
            return m.group(1) + out.rstrip() + "\n" + m.group(4)

        for page in sorted(DOCS.glob("*.md")):
            text = page.read_text(encoding="utf-8")
            if (new := EXAMPLE.sub(run, text)) != text:
                page.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
