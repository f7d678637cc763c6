"""Write `docwatch/parsing/autonyms.txt`: every language's name in itself, from CLDR (Babel).

A language switcher names each language in its own words ("lietuvių", "Deutsch", "中文"); the
parser reads those names from this file, because asking Babel for 330 locales costs 0.8 s a
process. `tests/test_apps.py` checks that the file is what Babel says.

    .venv/bin/python scripts/autonyms.py
"""

from __future__ import annotations

from pathlib import Path

from babel import Locale, localedata

TARGET = Path(__file__).resolve().parent.parent / "docwatch" / "parsing" / "autonyms.txt"


def autonyms() -> list[str]:
    names = set()
    for code in localedata.locale_identifiers():
        if "_" in code:
            continue  # a language's name in itself is its base locale's
        name = Locale.parse(code).get_language_name(code)
        if name:
            names.add(name.casefold())
    return sorted(names)


if __name__ == "__main__":
    TARGET.write_text("\n".join(autonyms()) + "\n", encoding="utf-8")
    print(f"{TARGET}: {len(autonyms())} names")
