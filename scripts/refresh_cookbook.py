"""Rewrite the outputs of the README's cookbook from a freshly built demo database.

    .venv/bin/python scripts/refresh_cookbook.py

Run after a change to the demo, the parser or the schema; `tests/test_readme.py` then checks
that every command still prints exactly what the README shows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"
# A command block, then its output block (possibly empty: a line never starts with ```).
EXAMPLE = re.compile(r"(```bash\n([^\n]+)\n```\n```\n)((?:(?!```)[^\n]*\n)*)(```)")


def main() -> None:
    text = README.read_text(encoding="utf-8")
    head, rest = text.split("## Analyst cookbook", 1)
    cookbook, sep, tail = rest.partition("\n## ")
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    with tempfile.TemporaryDirectory() as where:
        subprocess.run([bindir / "docwatch", "demo"], cwd=where, env=env, check=True,
                       capture_output=True)

        def run(m: re.Match) -> str:
            out = subprocess.run(m.group(2), shell=True, executable="/bin/bash", cwd=where,
                                 env=env, capture_output=True, text=True, check=True).stdout
            return m.group(1) + out.rstrip() + "\n" + m.group(4)

        cookbook = EXAMPLE.sub(run, cookbook)
    README.write_text(head + "## Analyst cookbook" + cookbook + sep + tail, encoding="utf-8")


if __name__ == "__main__":
    main()
