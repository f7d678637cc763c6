"""What a language writes: month and weekday names, date patterns, number symbols, units.

Everything CLDR has comes from Babel's copy of CLDR (month names in their format and
stand-alone forms, abbreviations, the locale's date and time patterns, decimal and group
symbols, scale words such as "mln." or "Mrd.", currency names, byte units, "per cent",
the word for "today"), so a language Babel knows is read without code of its own. What
CLDR does not have (the words of "Updated on" and view-counter lines) is a short list per
language in `VOLATILE_WORDS`; add a language there to have its volatile lines recognised.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

from .text import fold

#: Languages whose volatile lines docwatch knows; dates and figures work for any CLDR locale.
VOLATILE_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {"ago": (" ago",),
           "more": ("read more", "more", "continue reading", "learn more", "read on", "details",
                    "read the full story", "find out more"),
           "subjects": ("page", "this page", "content", "data", "information", "site", "text",
                        "document"),
           "as_of": ("as of", "as at", "current as at", "current as of", "valid as of"),
           "new": ("new", "new!"),
           "results": ("results", "result", "items", "records", "entries", "documents",
                       "publications"),
           "listing": ("showing", "displaying", "found", "of", "to", "total"),
           "popular": ("most read", "most popular", "popular", "most viewed", "trending",
                       "popular articles", "popular news", "most read articles",
                       "most read news", "most read stories"),
           "updated": ("last updated", "updated", "last modified", "modified", "date modified",
                       "last reviewed", "reviewed", "revised", "page updated", "generated",
                       "last refresh", "last refreshed", "refreshed"),
           "views": ("number of views", "page views", "views", "hits", "viewed", "visitors",
                     "visits", "downloads", "downloaded", "number of downloads",
                     "subscribers", "followers", "read", "this page has been viewed",
                     "has been viewed"),
           "rating": ("rating", "average rating"),
           "votes": ("votes", "vote", "ratings"),
           "pager": ("page", "photo", "image", "slide", "picture"),
           "reading": ("reading time", "read time", "min read", "minute read", "minutes read"),
           "minutes": ("min", "mins", "minute", "minutes"),
           "comments": ("comments",),
           "visitors": ("total", "today", "now", "online", "visitor", "users", "guests",
                        "you are visitor number", "you are visitor", "visitor number"),
           "generated": ("generated", "rendered", "created"),
           "seconds": ("in", "seconds", "second", "sec", "ms"),
           "today": ("today is", "printed on", "printed", "date printed"),
           "shares": ("shares", "share", "likes", "like", "tweets", "tweet"),
           "published": ("published", "posted", "created", "publication date", "date")},
    "lt": {"ago": ("prieš ",),
           "more": ("skaityti daugiau", "plačiau", "daugiau", "skaityti toliau", "skaitykite daugiau",
                    "išsamiau", "skaityti"),
           "subjects": ("duomenys", "informacija", "turinys", "puslapis", "tekstas",
                        "puslapio turinys"),
           "as_of": ("būklė", "duomenys", "būklė nuo"),
           "new": ("naujiena", "nauja", "naujas", "nauji", "naujienos"),
           "results": ("rezultatai", "rezultatų", "rezultatas", "įrašų", "įrašai", "įrašas",
                       "dokumentų", "dokumentai", "publikacijų"),
           "listing": ("rodoma", "rodomi", "rasta", "iš", "viso"),
           "popular": ("skaitomiausi", "skaitomiausios", "populiariausi", "populiariausios",
                       "populiariausios naujienos", "skaitomiausios naujienos",
                       "daugiausiai skaitomi", "daugiausiai skaityta", "populiaru"),
           "updated": ("paskutinį kartą atnaujinta", "atnaujinta", "atnaujinti", "atnaujintas",
                       "atnaujinimo data", "paskutinis atnaujinimas", "redaguota", "keista",
                       "paskutinį kartą keista"),
           "views": ("peržiūrų skaičius", "lankytojų skaičius", "peržiūros", "peržiūrų",
                     "peržiūrėta", "lankytojų", "lankytojai", "atsisiuntimų skaičius",
                     "atsisiuntimai", "atsisiuntimų", "parsisiuntimų", "atsisiųsta",
                     "prenumeratoriai", "prenumeratorių", "sekėjai", "sekėjų"),
           "rating": ("įvertinimas", "vidutinis įvertinimas"),
           "votes": ("balsų", "balsai", "balsas", "įvertinimai", "įvertinimų"),
           "pager": ("puslapis", "psl", "nuotrauka", "skaidrė", "vaizdas"),
           "reading": ("skaitymo laikas", "skaitymo trukmė"),
           "minutes": ("min", "minutė", "minutės", "minučių"),
           "comments": ("komentarai",),
           "visitors": ("lankytojų", "šiandien", "viso", "dabar", "prisijungę", "naudotojai",
                        "svečiai"),
           "generated": ("sugeneruotas", "sugeneruota", "sugeneruotas per"),
           "seconds": ("per", "sekundės", "sekundžių", "sek"),
           "today": ("šiandien yra", "spausdinta", "atspausdinta"),
           "shares": ("dalintis", "pasidalinti", "pasidalino", "patinka"),
           "published": ("paskelbta", "publikuota", "sukurta", "data")},
    "de": {"ago": ("vor ",),
           "more": ("weiterlesen", "mehr", "mehr lesen", "mehr erfahren", "mehr dazu",
                    "zum artikel", "details"),
           "subjects": ("seite", "inhalt", "daten", "informationen", "text"),
           "as_of": ("stand", "datenstand", "stand der daten", "stand der information"),
           "new": ("neu", "neuheit"),
           "results": ("ergebnisse", "ergebnis", "treffer", "einträge", "eintrag",
                       "dokumente"),
           "listing": ("zeige", "gefunden", "von", "bis", "insgesamt", "ihre suche ergab",
                       "suche ergab"),
           "popular": ("meistgelesen", "am meisten gelesen", "meistgelesene artikel",
                       "meistgelesene nachrichten", "beliebt", "beliebte artikel",
                       "meistgesehen", "am häufigsten gelesen", "top-artikel"),
           "updated": ("zuletzt aktualisiert", "aktualisiert", "letzte änderung",
                       "zuletzt geändert", "geändert", "stand:", "letzte aktualisierung",
                       "aktualisierung"),
           "views": ("anzahl der aufrufe", "anzahl der zugriffe", "aufrufe", "zugriffe",
                     "seitenaufrufe", "besucher", "downloads", "heruntergeladen",
                     "abonnenten", "follower", "gelesen", "aufgerufen", "diese seite wurde"),
           "rating": ("bewertung", "durchschnittliche bewertung"),
           "votes": ("stimmen", "bewertungen"),
           "pager": ("seite", "bild", "foto", "folie"),
           "reading": ("lesezeit", "lesedauer"),
           "minutes": ("min", "minute", "minuten"),
           "comments": ("kommentare",),
           "visitors": ("heute", "gesamt", "insgesamt", "online", "benutzer", "gäste"),
           "generated": ("generiert", "erstellt", "erzeugt"),
           "seconds": ("in", "sekunden", "sekunde", "sek"),
           "today": ("heute ist", "gedruckt am", "druckdatum"),
           "shares": ("teilen", "geteilt", "gefällt mir"),
           "published": ("veröffentlicht", "erstellt", "datum", "erschienen")},
    "fr": {"ago": ("il y a ",),
           "more": ("lire la suite", "en savoir plus", "lire plus", "suite", "plus", "détails"),
           "subjects": ("page", "contenu", "données", "informations", "texte"),
           "as_of": ("état au", "à jour au", "données au", "situation au"),
           "new": ("nouveau", "nouvelle", "nouveauté", "nouveautés"),
           "results": ("résultats", "résultat", "éléments", "documents"),
           "listing": ("affichage", "trouvés", "sur", "au total", "de", "à"),
           "popular": ("les plus lus", "articles les plus lus", "les plus consultés",
                       "populaires", "les plus populaires", "tendances", "à la une des lecteurs"),
           "updated": ("dernière mise à jour", "mis à jour", "mise à jour", "modifié",
                       "actualisé", "dernière modification", "date de modification",
                       "date de mise à jour"),
           "views": ("nombre de vues", "nombre de visites", "nombre de consultations", "vues",
                     "consultations", "visiteurs", "lectures", "visites",
                     "téléchargements", "téléchargé", "téléchargée", "consulté",
                     "consultée", "nombre de téléchargements", "abonnés", "vu", "lu"),
           "rating": ("note", "note moyenne"),
           "votes": ("votes", "avis"),
           "pager": ("page", "photo", "image", "diapositive"),
           "reading": ("temps de lecture", "durée de lecture"),
           "minutes": ("min", "minute", "minutes"),
           "comments": ("commentaires",),
           "visitors": ("aujourd'hui", "total", "en ligne", "utilisateurs", "invités"),
           "generated": ("générée", "généré"),
           "seconds": ("en", "secondes", "seconde", "sec"),
           "today": ("nous sommes le", "imprimé le"),
           "shares": ("partages", "partager", "j'aime"),
           "published": ("publié", "créé", "date", "date de publication")},
    "pl": {"ago": (" temu",),
           "more": ("czytaj więcej", "więcej", "czytaj dalej", "dowiedz się więcej", "szczegóły"),
           "subjects": ("strona", "treść", "dane", "informacja", "informacje"),
           "as_of": ("stan na", "stan na dzień", "według stanu na", "dane na dzień"),
           "new": ("nowość", "nowe", "nowy", "nowa", "nowości"),
           "results": ("wyników", "wyniki", "wynik", "rekordów", "pozycji", "dokumentów",
                       "dokumenty"),
           "listing": ("wyświetlanie", "znaleziono", "do", "z", "łącznie"),
           "popular": ("najczęściej czytane", "najpopularniejsze", "popularne",
                       "najchętniej czytane", "najczęściej oglądane", "najpopularniejsze artykuły"),
           "updated": ("ostatnia aktualizacja", "zaktualizowano", "aktualizacja",
                       "data modyfikacji", "zmodyfikowano", "data aktualizacji",
                       "ostatnia modyfikacja", "data ostatniej modyfikacji",
                       "data ostatniej aktualizacji", "ostatnio zmieniono"),
           "views": ("liczba odsłon", "liczba wyświetleń", "wyświetleń", "wyświetlenia", "odsłon",
                     "odsłony", "liczba odwiedzin", "liczba pobrań", "pobrań",
                     "pobrano", "pobrania", "subskrybenci", "subskrybentów",
                     "obserwujący", "obserwujących", "wyświetlono"),
           "rating": ("ocena", "średnia ocena"),
           "votes": ("głosów", "głosy", "ocen"),
           "pager": ("strona", "zdjęcie", "slajd", "obraz"),
           "reading": ("czas czytania", "czas lektury"),
           "minutes": ("min", "minuta", "minuty", "minut"),
           "comments": ("komentarze",),
           "visitors": ("dzisiaj", "dziś", "łącznie", "online", "użytkowników", "gości"),
           "generated": ("wygenerowana", "wygenerowano", "wygenerowany"),
           "seconds": ("w", "sekundy", "sekund", "sek"),
           "today": ("dzisiaj jest", "dziś jest", "wydrukowano", "data wydruku"),
           "shares": ("udostępnij", "udostępnienia", "lubię to"),
           "published": ("opublikowano", "data publikacji", "utworzono", "data")},
    "lv": {"ago": ("pirms ",),
           "more": ("lasīt vairāk", "vairāk", "lasīt tālāk", "uzzināt vairāk", "sīkāk"),
           "subjects": ("lapa", "saturs", "dati", "informācija", "lapas saturs"),
           "as_of": ("stāvoklis uz", "dati uz", "uz"),
           "new": ("jaunums", "jauns", "jauna", "jaunumi"),
           "results": ("rezultāti", "rezultātu", "ieraksti", "ierakstu", "dokumenti",
                       "dokumentu"),
           "listing": ("attēloti", "atrasti", "no", "līdz", "kopā"),
           "popular": ("lasītākie", "lasītākās", "populārākie", "populārākās",
                       "lasītākās ziņas", "visvairāk lasītie", "populāri"),
           "updated": ("pēdējās izmaiņas", "atjaunināts", "atjaunots", "labots",
                       "aktualizēts", "pēdējās izmaiņas veiktas", "izmaiņas veiktas",
                       "pēdējo reizi atjaunināts", "pēdējo reizi labots"),
           "views": ("skatījumu skaits", "skatījumi", "apmeklējumu skaits", "apmeklējumi",
                     "skatīts", "lejupielādes", "lejupielāžu skaits", "lejupielādēts",
                     "sekotāji", "abonenti"),
           "rating": ("vērtējums", "vidējais vērtējums"),
           "votes": ("balsis", "balsu", "vērtējumi"),
           "pager": ("lapa", "attēls", "foto", "slaids"),
           "reading": ("lasīšanas laiks",),
           "minutes": ("min", "minūte", "minūtes", "minūšu"),
           "visitors": ("šodien", "kopā", "tiešsaistē", "lietotāji", "viesi"),
           "generated": ("ģenerēta", "ģenerēts"),
           "seconds": ("sekundes", "sekundē", "sek"),
           "today": ("šodien ir", "izdrukāts"),
           "shares": ("dalīties", "patīk"),
           "published": ("publicēts", "izveidots", "datums")},
}
#: The words a line of dates may hold beside its dates ("Published 5 December 2025 | Updated
#: 6 December 2025", "Posted yesterday at 9:15"): labels and connectives, no others.
DATE_LABELS = frozenset(
    w for lang in VOLATILE_WORDS.values()
    for p in lang.get("updated", ()) + lang.get("published", ())
    for w in re.findall(r"[^\W\d_]{2,}", p.casefold())) | {
    "on", "at", "am", "um", "uhr", "le", "à", "o", "val", "godz", "plkst", "and", "und", "et"}
#: Per-cent words CLDR's "{0} percent" units do not list ("proc." is how Lithuanian and
#: Polish abbreviate it).
PERCENT_EXTRA = ("proc.", "proc", "procentai", "procentų", "procento", "procentus", "procentu",
                 "prozent", "per cent", "percent", "pour cent", "procent", "procenty")
#: The Latin-script languages a page is checked against besides its own.
ALWAYS = "en"

_PATTERN_TOKEN_RE = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|.", re.DOTALL)
_DASH = r"\s*[-–—]\s*"


@dataclass(frozen=True)
class Language:
    """The CLDR facts docwatch reads one language by."""

    code: str
    months: dict[str, int]  # every folded name, abbreviation and stem → month number
    weekdays: tuple[str, ...]  # folded weekday names, wide and abbreviated
    date_patterns: tuple[str, ...]  # regex sources made from the locale's date patterns
    decimal: str
    group: str
    scales: dict[str, str]  # folded scale word → "e6" / "e9"
    currencies: dict[str, str]  # folded currency word or symbol → ISO code
    sizes: dict[str, str]  # folded byte unit → canonical unit
    percent: tuple[str, ...]
    clock_words: tuple[str, ...]  # "Uhr": a word after a clock time, from the "H" pattern
    today: tuple[str, ...]  # "heute", "šiandien": CLDR's relative day 0, and "printed on"
    ago: tuple[str, ...]  # "prieš {0} valandas" as regex sources: CLDR's past relative times
    days: tuple[str, ...]  # "šiandien", "gestern": CLDR's today and yesterday, folded
    updated_words: tuple[str, ...]
    counter_words: tuple[str, ...]


def code_of(lang: str | None) -> str:
    """"lt-LT", "de_DE", "LT" → "lt"; "" or None → English."""
    return re.split(r"[-_]", (lang or "").strip().lower())[0] or ALWAYS


def known_language(lang: str) -> bool:
    """True when CLDR has data for the language of `lang` ("lt", "de-AT")."""
    try:
        Locale.parse(code_of(lang))
    except (UnknownLocaleError, ValueError):
        return False
    return bool(re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*", lang.strip()))


@functools.cache
def language(code: str) -> Language:
    """The `Language` for an ISO 639 code; an unknown code reads as English."""
    try:
        loc = Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        loc, code = Locale.parse(ALWAYS), ALWAYS
    months = _months(loc)
    words = VOLATILE_WORDS.get(code, {})
    return Language(
        code=code,
        months=months,
        weekdays=tuple({_fold(n) for kind in ("wide", "abbreviated")
                        for ctx in ("format", "stand-alone")
                        for n in loc.days[ctx][kind].values()}),
        date_patterns=tuple(_date_patterns(loc)),
        decimal=loc.number_symbols.get("latn", {}).get("decimal", "."),
        group=loc.number_symbols.get("latn", {}).get("group", ","),
        scales=_scales(loc),
        currencies=_currencies(loc),
        sizes=_sizes(loc),
        percent=tuple(sorted({_fold(w) for w in _unit_words(loc, "concentr-percent")}
                             | set(PERCENT_EXTRA) | {"%"}, key=len, reverse=True)),
        clock_words=tuple(_clock_words(loc)),
        today=tuple(sorted({_fold(w) for w in _today(loc)} | set(words.get("today", ())),
                           key=len, reverse=True)),
        ago=tuple(_ago(loc)),
        days=tuple(sorted({fold(w) for w in _days(loc)}, key=len, reverse=True)),
        updated_words=words.get("updated", ()),
        counter_words=words.get("views", ()),
    )


def all_volatile_words(kind: str) -> tuple[str, ...]:
    """The words of one kind of volatile line ("updated", "views", "comments", "visitors",
    "results" and the "listing" words beside them, a pager's "page", a "reading" time and its
    "minutes", a page "generated" in so many "seconds", a "rating" and its "votes"), of a
    heading of the most read items ("popular") or of a badge ("new"), of what an updated line
    names first ("subjects") or of an as-of line ("as_of"), a link's "read more" ("more"), or
    what marks a time past ("ago": with the space on the side of its number), in every
    language listed, longest first."""
    words = {w for lang in VOLATILE_WORDS.values() for w in lang.get(kind, ())}
    return tuple(sorted(words, key=len, reverse=True))


# --- reading CLDR -------------------------------------------------------------------------


def _fold(word: str) -> str:
    return word.casefold().replace("\u202f", " ").replace("\xa0", " ").strip()


def alternation(words) -> str:
    """A regex alternation, longest first so "March" is tried before "Mar"; never empty."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s*") for w in
                    sorted({w for w in words if w}, key=len, reverse=True)) or "(?!)"


def _months(loc: Locale) -> dict[str, int]:
    """Names in format (genitive) and stand-alone forms, abbreviations, and a stem per month
    for the inflected forms CLDR does not list (Latvian "jūlijā", Polish "lipcu")."""
    out: dict[str, int] = {}
    for month in range(1, 13):
        wide = [_fold(loc.months[ctx]["wide"][month]) for ctx in ("format", "stand-alone")]
        for ctx in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                name = _fold(loc.months[ctx][width][month])
                out.setdefault(name, month)
                out.setdefault(name.rstrip("."), month)
        stem = os.path.commonprefix(wide)
        stem = stem[:max(4, min(len(stem), min(map(len, wide)) - 2))]
        out.setdefault(stem, month)
    return out


def _date_patterns(loc: Locale) -> list[str]:
    patterns = [loc.date_formats[f].pattern for f in ("full", "long", "medium", "short")]
    patterns += [loc.datetime_skeletons[k].pattern for k in
                 ("yMMMMEEEEd", "yMMMMd", "yMMMd", "yMd", "yMMMM", "yMMM")
                 if k in loc.datetime_skeletons]
    patterns += ["y-MM-dd", "y.MM.dd", "dd.MM.y", "d. MMMM y"]
    out: list[str] = []
    for p in patterns:
        rx = _pattern_regex(p)
        if rx and rx not in out:
            out.append(rx)
    return out


def _pattern_regex(pattern: str) -> str | None:
    """A CLDR date pattern ("y 'm'. MMMM d 'd'.", "d. MMMM y") as a regex source; day
    fields take ranges ("11–12", "3.–4."). None for patterns without a year and a month."""
    tokens = [m.group() for m in _PATTERN_TOKEN_RE.finditer(pattern)]
    fields = [t[0] for t in tokens if t[0].isalpha() and not t.startswith("'")]
    if "y" not in fields or not ({"M", "L"} & set(fields)):
        return None
    out: list[str] = []
    for k, tok in enumerate(tokens):
        letter = tok[0]
        if tok.startswith("'"):
            lit = tok[1:-1].replace("''", "'") if len(tok) > 1 else "'"
            out.append(re.escape(lit) if lit.strip() else r"\s*")
        elif letter == "y":
            out.append(r"\d{4}")
        elif letter in "ML":
            out.append(r"\d{1,2}" if len(tok) <= 2 else "(?:MONTH)")
        elif letter == "d":
            out.append(rf"\d{{1,2}}(?:\.?{_DASH}\d{{1,2}}(?!\d))?")
        elif letter in "Ec":
            out.append("(?:WEEKDAY)")
        elif letter.isalpha():
            return None  # eras, quarters, …: not a date ministries write
        elif tok.isspace():
            out.append(r"\s*")
        elif tok == ".":
            # Between two numbers the dot is what makes "19.11.2025" a date; after a word it
            # is often dropped ("2023 m liepos").
            between = 0 < k < len(tokens) - 1 and _numeric(tokens[k - 1]) and _numeric(tokens[k + 1])
            out.append(r"\." if between else r"\.?")
        elif tok == ",":
            out.append(",?")
        else:
            out.append(re.escape(tok))
    return re.sub(r"(?:\\s\*)+", r"\\s*", "".join(out))


def _numeric(token: str) -> bool:
    """A pattern field written in digits: the year, or a day or month of one or two digits."""
    return token[0] == "y" or token[0] in "MLd" and len(token) <= 2


def _unit_words(loc: Locale, unit: str, width: str = "long") -> set[str]:
    patterns = loc._data["unit_patterns"].get(unit, {}).get(width, {})
    return {p.replace("{0}", "").strip(" \u202f\xa0") for k, p in patterns.items() if k != "per"}


def _scales(loc: Locale) -> dict[str, str]:
    out = {"million": "e6", "millions": "e6", "billion": "e9", "billions": "e9", "bn": "e9",
           "mn": "e6"}
    for width in ("short", "long"):
        for plural in loc.compact_decimal_formats.get(width, {}).values():
            for magnitude, pattern in plural.items():
                if magnitude in ("1000000", "1000000000"):
                    word = re.sub(r"[0#]", "", str(getattr(pattern, "pattern", pattern)))
                    word = _fold(word.replace("'", ""))
                    if len(word) >= 2:  # not French "M", which is too short to trust
                        out[word] = "e6" if magnitude == "1000000" else "e9"
    return out


def _currencies(loc: Locale) -> dict[str, str]:
    out = {"€": "EUR", "eur": "EUR", "$": "USD", "usd": "USD", "£": "GBP", "gbp": "GBP",
           "euro": "EUR", "euros": "EUR", "dollars": "USD"}
    for code in ("EUR", "USD"):
        names = {loc.currencies.get(code, ""), loc.currency_symbols.get(code, "")}
        names |= set(loc._data["currency_names_plural"].get(code, {}).values())
        for name in names:
            if name and not any(ch.isdigit() for ch in name):
                out.setdefault(_fold(name), code)
    return out


def _sizes(loc: Locale) -> dict[str, str]:
    out = {"kb": "kB", "mb": "MB", "gb": "GB", "tb": "TB"}
    for unit, canonical in (("digital-kilobyte", "kB"), ("digital-megabyte", "MB"),
                            ("digital-gigabyte", "GB")):
        for word in _unit_words(loc, unit, "short"):
            out.setdefault(_fold(word), canonical)
    return out


def _clock_words(loc: Locale) -> list[str]:
    """German "HH 'Uhr'": the quoted word of the locale's hour pattern, if it has one."""
    out = []
    for key in ("H", "Hm"):
        if key in loc.datetime_skeletons:
            out += [t[1:-1] for m in _PATTERN_TOKEN_RE.finditer(loc.datetime_skeletons[key].pattern)
                    if (t := m.group()).startswith("'") and len(t) > 2]
    out += _unit_words(loc, "duration-hour", "short")  # "val.", "Std.", "h"
    return sorted({w for w in out if w and "/" not in w}, key=len, reverse=True)


_TIME_UNITS = ("second", "minute", "hour", "day", "week", "month", "year")


def _ago(loc: Locale) -> list[str]:
    """Regex sources of how the language says a time past ("3 hours ago", "prieš 3 valandas",
    "vor 3 Stunden", "il y a 3 h", "yesterday"), from CLDR's relative date fields."""
    fields = loc._data["date_fields"]
    out: set[str] = set()
    for unit in _TIME_UNITS:
        for width in ("", "-short", "-narrow"):
            field = fields.get(unit + width, {})
            for pattern in field.get("past", {}).values():
                source = re.escape(_fold(pattern)).replace(r"\{0\}", r"\d+")
                out.add(re.sub(r"(?:\\ |\s|\u00a0|\\\xa0)+", r"\\s*", source))
    return sorted(out, key=len, reverse=True)


def _days(loc: Locale) -> list[str]:
    """The words for today and yesterday ("šiandien", "vakar"): what a list of news writes in
    place of its newest items' dates. (Each is one more search of every page's source.)"""
    relative = loc._data["date_fields"].get("day", {}).get("relative", {})
    return [relative[k] for k in (0, -1) if k in relative]


def _today(loc: Locale) -> list[str]:
    day = loc._data["date_fields"].get("day", {})
    word = day.get("relative", {}).get(0)
    return [word] if word else []
