"""What each rule costs a page: parse+diff of the pages of `bench/parse_diff.py`, profiled, its
time shared out by the module of docwatch doing the work (each rule lives in one:
`parsing/volatile` the volatile lines, `parsing/counters` the counters, `parsing/furniture`
the furniture, `diffing/classify` the classification, …).

    .venv/bin/python bench/rules.py [--rounds 20]

Each module's own time (its functions' time, less the docwatch functions they call) is
summed over the pages, as ms a page and as a share of the whole; C calls (regular
expressions, lxml, difflib's C parts) count for the module that made them. The profiler
slows Python code more than C, so the shares are of a profiled run: read them for where
the time goes, and `bench/parse_diff.py` for how long a page takes.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))

from docwatch.demo.apps import rebuild  # noqa: E402
from docwatch.demo.history import urm_page, urm_text  # noqa: E402
from docwatch.diffing import diff  # noqa: E402
from docwatch.parsing import parse  # noqa: E402
from tests.pathological import mojibake  # noqa: E402

EDGI = ROOT / "tests/fixtures/edgi"


def pages() -> list[tuple[bytes, bytes]]:
    dates = ("2024-04-02", "2024-07-15")
    urm = [urm_page(urm_text(d), d) for d in dates]
    out = [tuple(urm)]
    out += [tuple(rebuild(p, shape, build=d) for p, d in zip(urm, dates))
            for shape in ("roles", "styled")]
    out += [((EDGI / f"{n}-a.html").read_bytes(), (EDGI / f"{n}-b.html").read_bytes())
            for n in ("falsepos-num-views", "truepos-dataset-removal", "truepos-major-changes")]
    out.append((mojibake(), mojibake(version=2)))
    return out


def owner(filename: str) -> str:
    """The docwatch module a function belongs to ("parsing/volatile"), else "python/C"."""
    path = Path(filename)
    if "docwatch" not in path.parts:
        return ""
    parts = path.parts[path.parts.index("docwatch") + 1:]
    return "/".join(parts).removesuffix(".py").removesuffix("/__init__")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    rounds = ap.parse_args().rounds
    pairs = pages()
    olds = [parse(a) for a, _ in pairs]
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(rounds):
        for old, (_, new) in zip(olds, pairs):
            diff(old, parse(new))
    profile.disable()
    stats = pstats.Stats(profile).stats
    own: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tottime, _, callers) in stats.items():
        module = owner(filename)
        if module:
            own[module] += tottime
            continue
        # Time in a C function or the standard library: the docwatch module that called it.
        for (cfile, _, _), (_, _, ctot, _) in callers.items():
            if module := owner(cfile):
                own[module] += ctot
    total = sum(own.values())
    per_page = 1000 / (rounds * len(pairs))
    print(f"{'module (rule)':28} {'ms a page':>10} {'share':>7}   ({len(pairs)} pages, "
          f"{rounds} rounds, profiled)")
    for module, seconds in sorted(own.items(), key=lambda kv: -kv[1]):
        if seconds * per_page >= 0.005:
            print(f"{module:28} {seconds * per_page:10.3f} {seconds / total:6.1%}")
    print(f"{'all':28} {total * per_page:10.3f}")


if __name__ == "__main__":
    main()
