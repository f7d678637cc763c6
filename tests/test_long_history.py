"""A long history of one page of our own making, checked through the real pipeline over HTTP
into SQLite: 120 versions, most of them differing only by counters (in words, and drawn as an
eye icon and a number), "updated" times, link churn (cache-busting and tracking parameters)
and markup. Alerts must come exactly on the versions whose visible content changed."""

from __future__ import annotations

import random

from pytest_httpserver import HTTPServer

from docwatch.fetch import Fetcher
from docwatch.models import Source
from docwatch.pipeline import check
from docwatch.store import Store

VERSIONS = 120
PATH = "/lt/veikla/naujienos"
MONTHS = ["sausio", "vasario", "kovo", "balandžio", "gegužės", "birželio", "liepos",
          "rugpjūčio", "rugsėjo", "spalio", "lapkričio", "gruodžio"]


class Page:
    """The page's visible content; `render` dresses it in volatile lines and markup."""

    def __init__(self):
        self.entries = [(f"2023 m. {MONTHS[m]} {d} d.", f"Ministras susitiko su partneriais, "
                         f"aptartas bendradarbiavimas Nr. {m * 31 + d}.") for m, d in
                        ((0, 12), (1, 3), (2, 21), (3, 8))]
        self.share = "2,5 proc."
        self.documents = ["strategija", "programa"]

    def visible_change(self, rng: random.Random, k: int) -> None:
        kind = k % 3
        if kind == 0:
            self.entries.insert(0, (f"2024 m. {MONTHS[k % 12]} {1 + k % 27} d.",
                                    f"Naujas renginys {k}: delegacija lankėsi Vilniuje."))
        elif kind == 1:
            self.share = f"{2 + k % 5},{k % 10} proc."
        else:
            self.documents.append(f"dokumentas-{k}")

    def render(self, rng: random.Random, k: int) -> bytes:
        wrapper = rng.choice(["content", "main-content", "page-body", "article-wrap"])
        extra = rng.random() < 0.5
        # each item's readings, drawn as an eye icon and a number
        items = "".join(
            f'<div class="item"><p>{text}</p><span class="date">{date}</span>'
            f'<span class="meta"><i class="fa fa-eye"></i> {rng.randint(100, 9999)}</span></div>'
            for date, text in self.entries)
        docs = "".join(
            f'<li><a href="/files/{d}.pdf?{rng.randint(10**9, 10**10)}&utm_source=news">'
            f"{d.capitalize()}</a></li>" for d in self.documents)
        body = (f"<h1>Ministerijos veikla</h1>"
                f"<p>Atnaujinta: 2024-{1 + k % 12:02d}-{1 + k % 28:02d} {rng.randint(0, 23):02d}:"
                f"{rng.randint(0, 59):02d}</p>"
                f"<h2>Įsipareigojimai</h2><p>Gynybai skiriama ne mažiau kaip {self.share} BVP.</p>"
                f"<h2>Naujienos</h2><div class='news'>{items}</div>"
                f"<h2>Dokumentai</h2><ul>{docs}</ul>"
                f"<p>Peržiūrų skaičius: {1000 + 7 * k + rng.randint(0, 5)}</p>")
        if extra:
            body = f'<div class="inner-{rng.randint(1, 9)}">{body}</div>'
        return (f'<!doctype html><html lang="lt"><head><title>Veikla</title></head><body>'
                f'<nav><a href="/?sid={rng.random()}">Pradžia</a></nav>'
                f'<div class="{wrapper}">{body}</div>'
                f"<footer>© {rng.randint(2000, 3000)}</footer></body></html>").encode()


def test_alerts_come_exactly_on_the_versions_whose_content_changed(httpserver: HTTPServer, tmp_path):
    rng = random.Random(20261128)
    page = Page()
    changed_at = set(rng.sample(range(1, VERSIONS), 14))
    source = Source("veikla", httpserver.url_for(PATH))
    alerted_at: dict[int, list] = {}
    with Fetcher() as http, Store(tmp_path / "long.db") as store:
        for k in range(VERSIONS):
            if k in changed_at:
                page.visible_change(rng, k)
            httpserver.clear()
            httpserver.expect_request(PATH).respond_with_data(
                page.render(rng, k), content_type="text/html; charset=utf-8")
            result = check(source, store, fetcher=http)
            assert result.ok, result.error
            if result.alerts:
                alerted_at[k] = result.alerts
        # A version is stored where content changed; the noise-only checks store none...
        assert store.count("snapshots") == 1 + len(changed_at)
        assert store.count("fetches") == VERSIONS
    assert set(alerted_at) == changed_at  # ...and alerts came exactly where content changed
    for k, found in alerted_at.items():
        assert len(found) == 1, (k, found)
        expected = {0: "new_entry", 1: "revised_figure", 2: "content_added"}[k % 3]
        assert found[0].category == expected, (k, found[0])
