"""The bundled history of both ministry pages: dated versions, as those sites served them.

Each page's main text starts from the seed version (`pages/*.html`, converted from
`shared/seeds/`) and evolves through edits that follow `shared/facts/later-history.md`
(Vilnius 2023, Washington 2024, The Hague 2025, the spending commitments). The kam.lt
edits after 2011 are illustrative: plausible, not archived. Every version is wrapped in its
site's page furniture — menus, calendar, visitor counter, "Updated" line, session ids —
which changes on every version, as it does on the real sites.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from importlib import resources

from lxml import html as lxml_html

URM_TITLE = "Lithuania's membership in the North Atlantic Treaty Organization (NATO)"
KAM_TITLE = "Cooperation with non-NATO states"


@dataclass(frozen=True)
class Version:
    source: str  # "urm-nato" | "kam-non-nato"
    date: str  # YYYY-MM-DD
    label: str  # what an analyst should see
    body: bytes
    content_type: str


def content(name: str) -> str:
    return resources.files("docwatch.demo").joinpath(f"pages/{name}").read_text(encoding="utf-8")


# --- edits --------------------------------------------------------------------------------


def replace(text: str, old: str, new: str) -> str:
    """Replace `old`, which must occur exactly once (an edit never silently misses)."""
    count = text.count(old)
    if count != 1:
        raise ValueError(f"edit anchor found {count} times: {old[:60]!r}")
    return text.replace(old, new)


def after(text: str, anchor: str, insert: str) -> str:
    """Insert `insert` after the element whose text contains `anchor` (end of that line)."""
    start = text.index(anchor)
    end = text.index("\n", start)
    if text.count(anchor) != 1:
        raise ValueError(f"edit anchor found {text.count(anchor)} times: {anchor[:60]!r}")
    return text[: end + 1] + insert.strip() + "\n" + text[end + 1:]


def entry(date: str, *paragraphs: str) -> str:
    """A chronology entry as urm.lt writes it: the date in bold, then its paragraphs."""
    if len(paragraphs) == 1:
        return f"<p><strong>{date}</strong> {paragraphs[0]}</p>"
    return "\n".join([f"<p><strong>{date}</strong></p>"] + [f"<p>{p}</p>" for p in paragraphs])


MADRID = "The next NATO summit will take place in 2023 in Vilnius.</p>"


def urm_2023_04(c: str) -> str:
    return after(c, MADRID, entry(
        "4 April 2023", "Finland joined NATO as the 31st member of the Alliance."))


def urm_2023_07(c: str) -> str:
    c = after(c, "Finland joined NATO as the 31st member", entry(
        "26 June 2023", "Germany announced it is prepared to station a brigade of about 4,000 "
        "troops permanently in Lithuania."))
    return after(c, "station a brigade of about 4,000", entry(
        "11-12 July 2023",
        "NATO Summit took place in Vilnius. Allies agreed the Vilnius Summit Communiqué of "
        "11 July 2023 and made an enduring commitment to invest at least 2 % of GDP annually "
        "on defence. The next NATO summit will take place in 2024 in Washington."))


def urm_2024_04(c: str) -> str:
    c = replace(c, "All political parties commit to spend 2.5\u00a0% of GDP on defense",
                "All political parties commit to spend 3 % of GDP on defense")
    c = replace(c, "  <li>Continue participation in NATO operations and missions.</li>\n", "")
    c = after(c, "The next NATO summit will take place in 2024 in Washington.", entry(
        "18 December 2023", "Germany and Lithuania signed a roadmap for stationing the German "
        "brigade in Lithuania: about 4,800 troops at full strength by 2027."))
    c = after(c, "about 4,800 troops at full strength", entry(
        "7 March 2024", "Sweden joined NATO as the 32nd member of the Alliance."))
    return after(c, "Sweden joined NATO as the 32nd member", entry(
        "29 March 2024", "Lithuania marked 20 years of NATO membership."))


def urm_2024_07(c: str) -> str:
    c = replace(c, "NATO Leaders met on 3-4 December 2020 in London",
                "NATO Leaders met on 3-4 December 2019 in London")
    c = replace(c, "to help NATO fulfill its core tasks", "to help NATO fulfil its core tasks")
    return after(c, "Lithuania marked 20 years of NATO membership.", entry(
        "9-11 July 2024", "NATO Summit in Washington marked the 75th anniversary of the "
        "Alliance. 23 Allies met the commitment to spend at least 2 % of GDP on defence, and "
        "Sweden was welcomed as the 32nd Ally."))


def urm_2025_07(c: str) -> str:
    c = replace(c, "This agreement will remain in force until 2030.",
                "This agreement will remain in force until 2030. On 17 January 2025 the State "
                "Defence Council decided to allocate 5-6 % of GDP a year to defence in 2026-2030.")
    c = after(c, "Sweden was welcomed as the 32nd Ally.", entry(
        "1 April 2025", "The German Panzerbrigade 45 was formally established in Lithuania."))
    c = after(c, "Panzerbrigade 45 was formally established", entry(
        "22 May 2025", "The German brigade was inaugurated in Vilnius and named \"Lithuania\"."))
    return after(c, "inaugurated in Vilnius and named", entry(
        "24-25 June 2025", "At the NATO Summit in The Hague Allies committed to invest 5 % of "
        "GDP a year in defence and security by 2035: at least 3.5 % on core defence and up to "
        "1.5 % on security-related spending."))


def kam_2014(c: str) -> str:
    c = replace(c, "Ukraine, Belarus, Moldova, Russia and the South Eastern European states",
                "Ukraine, Belarus, Moldova and the South Eastern European states")
    return replace(c, " The dialogue with Russia takes place on bilateral and multilateral basis.", "")


def kam_2022(c: str) -> str:
    c = replace(c, "Ukraine, Belarus, Moldova and the South Eastern European states",
                "Ukraine, Moldova and the South Eastern European states")
    c = replace(c, " Practical cooperation initiatives with Belarus are valued positively; "
                "Lithuania successfully implements security and confidence-building measures with "
                "Belarus, regularly holds expert consultations.", "")
    c = replace(c, "In the globalised world", "In the globalized world")
    return after(c, "contributes to continued development of NATO-Ukraine partnership", (
        "<p>&nbsp;</p>\n<p>Lithuania provides military assistance to Ukraine in its defence "
        "against Russia's military aggression: ammunition, equipment and training of Ukrainian "
        "soldiers.</p>"))


# --- page furniture -----------------------------------------------------------------------


def _calendar(year: int, month: int, sid: str) -> str:
    import calendar

    rows = []
    for week in calendar.Calendar().monthdayscalendar(year, month):
        cells = "".join(
            f'<td><a href="/lt/events?d={year}-{month:02d}-{d:02d}&amp;sid={sid}">{d}</a></td>'
            if d else "<td></td>" for d in week)
        rows.append(f"<tr>{cells}</tr>")
    name = calendar.month_name[month]
    return (f'<div class="calendar"><table><caption>{name} {year}</caption>'
            f'{"".join(rows)}</table></div>')


def _ymd(date: str) -> tuple[int, int, int]:
    y, m, d = (int(x) for x in date.split("-"))
    return y, m, d


def _sid(date: str) -> str:
    """A session id that differs per version, as the CMS put in every link."""
    return hashlib.sha1(date.encode()).hexdigest()[:12]


def urm_page(body: str, date: str, *, layout: str = "2022") -> bytes:
    """An urm.lt page around `body` (the main text), as served on `date`."""
    y, m, d = _ymd(date)
    sid, visitors = _sid(date), 10_234 + (y - 2022) * 5_000 + m * 311 + d
    menu = "".join(f'<li><a href="/en/{slug}?sid={sid}">{label}</a></li>' for slug, label in (
        ("ministry", "Ministry"), ("news", "News"), ("foreign-policy", "Foreign Policy"),
        ("lithuanias-security-policy", "Lithuania's Security Policy"),
        ("consular-information", "Consular Information"), ("contacts", "Contacts")))
    if layout == "2025":
        return _urm_2025(redesign(body), date, menu).encode("utf-8")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(URM_TITLE)} | Ministry of Foreign Affairs of the Republic of Lithuania</title>
<link rel="stylesheet" href="/css/site.css?v={y}{m:02d}"><script>var _session="{sid}";</script>
</head><body class="page-995">
<header class="site-header"><div class="logo"><a href="/en/">Ministry of Foreign Affairs of the
Republic of Lithuania</a></div><div class="lang"><a href="/lt/">LT</a> <a href="/en/">EN</a></div>
<form class="search" action="/en/search"><input name="q"><button>Search</button></form>
<nav class="main-menu"><ul>{menu}</ul></nav></header>
<div class="breadcrumbs"><a href="/en/">Home</a> › <a href="/en/lithuanias-security-policy">
Lithuania's Security Policy</a> › <span>{html.escape(URM_TITLE)}</span></div>
<div class="page">
<div class="col-left"><ul class="submenu">{menu}</ul>{_calendar(y, m, sid)}</div>
<div class="widget3"><h1>{html.escape(URM_TITLE)}</h1>
<div class="news_date">Updated: {y}.{m:02d}.{d:02d}</div>
<div class="text">
<h2>{html.escape(URM_TITLE)}</h2>
{body}
</div>
<div class="share"><a href="https://facebook.com/sharer?u=urm.lt/995">Facebook</a>
<a href="https://twitter.com/share?u=urm.lt/995">Twitter</a> <a href="#print">Print</a></div>
</div></div>
<footer><p>J. Tumo-Vaižganto g. 2, LT-01511 Vilnius, tel. +370 5 236 2444</p>
<p>Visitors today: {visitors % 900}, in total: {visitors}</p>
<p>© Ministry of Foreign Affairs of the Republic of Lithuania, {y}</p></footer>
</body></html>""".encode("utf-8")


def _urm_2025(body: str, date: str, menu: str) -> str:
    y, m, d = _ymd(date)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="UTF-8"><meta name="viewport" content="width=device-width">
<title>{html.escape(URM_TITLE)} – urm.lt</title><script src="/static/app.{y}{m:02d}.js"></script>
</head><body class="layout-2025 theme-light">
<div id="app"><div class="topbar"><a class="brand" href="/en">urm.lt</a>
<nav aria-label="Main"><ul class="nav nav-pills">{menu}</ul></nav>
<div class="cookie-consent">We use cookies. <button>OK</button></div></div>
<main id="content" class="container"><article class="page page--policy">
<header class="page-header"><h1 class="page-title">{html.escape(URM_TITLE)}</h1>
<p class="meta">Last updated {y}-{m:02d}-{d:02d}</p></header>
<section class="page-body rich-text">
{body}
</section>
<div class="share-buttons"><a href="https://www.linkedin.com/shareArticle?url=urm.lt">LinkedIn</a></div>
</article></main>
<footer class="site-footer"><div>© {y} Ministry of Foreign Affairs</div></footer></div>
</body></html>"""


def redesign(body: str) -> str:
    """The same text in the 2025 CMS: <h2> become <h3>, the chronology a <dl>, events a table."""
    root = lxml_html.fragment_fromstring(body, create_parent="div")
    out: list[str] = []
    pending: list[tuple[str, list[str]]] = []
    mode = "plain"

    def flush() -> None:
        if not pending:
            return
        if mode == "chronology":
            items = "".join(f"<dt>{date}</dt><dd>{''.join(f'<p>{p}</p>' for p in ps)}</dd>"
                            for date, ps in pending)
            out.append(f'<dl class="timeline">{items}</dl>')
        else:
            rows = "".join(f'<tr><td class="date">{date}</td><td>{"".join(f"<p>{p}</p>" for p in ps)}</td></tr>'
                           for date, ps in pending)
            out.append(f'<table class="events"><tbody>{rows}</tbody></table>')
        pending.clear()

    for el in root:
        inner = _inner(el)
        if el.tag == "h2":
            flush()
            mode = "chronology" if "chronology" in inner else (
                "events" if "activities" in inner else "plain")
            out.append(f"<h3 class=\"section-title\">{inner}</h3>")
            continue
        strong = el.find("strong") if el.tag == "p" else None
        if mode != "plain" and strong is not None and re.match(r"\d", strong.text or ""):
            rest = _inner(el).split("</strong>", 1)[1].strip()
            pending.append((strong.text, [rest] if rest else []))
        elif mode != "plain" and pending and el.tag == "p":
            pending[-1][1].append(inner)
        else:
            flush()
            out.append(lxml_html.tostring(el, encoding="unicode").strip())
    flush()
    return "\n".join(out)


def _inner(el) -> str:
    text = html.escape(el.text or "", quote=False)
    return text + "".join(lxml_html.tostring(c, encoding="unicode") for c in el)


def kam_page(body: str, date: str) -> bytes:
    """A kam.lt page of the old "Fresh Media" CMS, encoded windows-1257 as it was served."""
    y, m, d = _ymd(date)
    sid = _sid(date)
    total = 184_233 + (y - 2011) * 40_000 + m * 1_000 + d * 7
    menu = "".join(f'<li><a href="/en/{slug}.html?sid={sid}">{label}</a></li>' for slug, label in (
        ("news_1098", "News"), ("defence_policy_1053", "Defence policy"),
        ("international_cooperation_1089", "International cooperation"),
        ("structure_1460", "Structure and contacts")))
    page = f"""<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1257">
<title>{KAM_TITLE} - Ministry of National Defence Republic of Lithuania</title>
<script type="text/javascript">var sid = "{sid}"; function openWin(u){{window.open(u);}}</script>
</head><body>
<div id="top"><a href="/en/index.html?sid={sid}">Go to starting page</a>
<a href="/en/sitemap.html">Sitemap</a> <a href="/lt/">Lietuviškai</a>
<a href="/en/disabled.html">For the disabled</a> <a href="/m/en/">Mobile version</a></div>
<table id="layout" width="100%"><tr>
<td class="left" valign="top"><ul class="menu">{menu}</ul>
{_calendar(y, m, sid)}
<div class="counter">Total: {total}<br>Today: {total % 97}<br>Now: {total % 7}</div></td>
<td class="main" valign="top">
<div class="path"><a href="/en/index.html">Home</a> &gt; <a href="/en/international_cooperation_1089.html">International cooperation</a></div>
<h1 class="title">{KAM_TITLE}</h1>
<div class="content">
{body}
</div>
<div class="social"><a href="http://www.facebook.com/KAM">KAM facebook</a><br>
<a href="http://www.flickr.com/KAM">KAM flickr</a><br><a href="http://www.youtube.com/KAM">KAM youtube</a></div>
</td></tr></table>
<div id="footer"><p class="updated">Updated on: {y}.{m:02d}.{d:02d}</p>
<p>Totorių St. 25, LT-01121 Vilnius, tel. +370 706 70750, fax. +370 5 264 85 17, e-mail: kam@kam.lt</p>
<p>Company number 188602751, VAT ID LT 100001016116</p>
<p>© Ministry of National Defence Republic of Lithuania.</p>
<p>Solution: <a href="http://www.freshmedia.lt">Fresh Media</a></p></div>
</body></html>"""
    return page.encode("windows-1257", errors="xmlcharrefreplace")


# --- the history --------------------------------------------------------------------------

URM_CT = "text/html; charset=utf-8"
KAM_CT = "text/html"  # the old CMS sent no charset: the <meta> tells it


#: (date, what an analyst should see, edit of the main text, layout) per version.
URM_HISTORY = (
    ("2022-09-01", "first snapshot", None, "2022"),
    ("2023-04-12", "Finland joins: a new dated entry", urm_2023_04, "2022"),
    ("2023-07-20", "Vilnius Summit and the German brigade: two new entries", urm_2023_07, "2022"),
    ("2024-04-02", "spending commitment 2.5 % -> 3 % of GDP, an initiative dropped, new entries",
     urm_2024_04, "2022"),
    ("2024-07-15", "Washington Summit; a wrong year corrected; a spelling fix", urm_2024_07, "2022"),
    ("2025-02-03", "a site redesign with the same text: no alert", None, "2025"),
    ("2025-07-01", "The Hague Summit: 5 % of GDP by 2035; the brigade in Vilnius", urm_2025_07,
     "2025"),
)
KAM_HISTORY = (
    ("2011-03-31", "first snapshot", None),
    ("2011-06-15", "only the calendar, counter, session ids and 'Updated on' changed", None),
    ("2014-09-10", "Russia dropped from the partner list and the dialogue sentence", kam_2014),
    ("2022-03-15", "Belarus dropped; a paragraph on help to Ukraine; a spelling fix", kam_2022),
)


def urm_text(date: str) -> str:
    """The urm.lt main text as it stood on `date` (every edit up to then applied)."""
    text = content("urm-2022.html")
    for when, _, edit, _ in URM_HISTORY:
        if when <= date and edit:
            text = edit(text)
    return text


def kam_text(date: str) -> str:
    """The kam.lt main text as it stood on `date`."""
    text = content("kam-2011.html")
    for when, _, edit in KAM_HISTORY:
        if when <= date and edit:
            text = edit(text)
    return text


def history() -> list[Version]:
    """Every dated version of both pages, oldest first."""
    out = [Version("urm-nato", date, label, urm_page(urm_text(date), date, layout=layout), URM_CT)
           for date, label, _, layout in URM_HISTORY]
    out += [Version("kam-non-nato", date, label, kam_page(kam_text(date), date), KAM_CT)
            for date, label, _ in KAM_HISTORY]
    return sorted(out, key=lambda v: v.date)
