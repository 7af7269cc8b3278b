"""Title, issuing body and effective date, where the text states them."""

from __future__ import annotations

import datetime
import re

from .semantics import sentences

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan", "enero", "janvier"),
            ("february", "feb", "febrero", "février", "fevrier"),
            ("march", "mar", "marzo", "mars"),
            ("april", "apr", "abril", "avril"),
            ("may", "mayo", "mai"),
            ("june", "jun", "junio", "juin"),
            ("july", "jul", "julio", "juillet"),
            ("august", "aug", "agosto", "août", "aout"),
            ("september", "sep", "sept", "septiembre", "setiembre", "septembre"),
            ("october", "oct", "octubre", "octobre"),
            ("november", "nov", "noviembre", "novembre"),
            ("december", "dec", "diciembre", "décembre", "decembre"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>1[89]\d\d|20\d\d)"
# "16 de mayo de 2022", "1er janvier 2020", "21 June 1988", "the 3rd of May, 2020".
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|º|°)?"
_OF = r"(?:of|de|del)\s+"
# "03/01/18", "3/1/2018": month first unless the first number cannot be a month (31/01/2018).
_SLASHED = re.compile(
    r"(?<![\d/])(?P<first>[0-3]?\d)/(?P<second>[0-3]?\d)/(?P<year>(?:19|20)\d\d|\d\d)(?![\d/])"
)
_DATES = (
    re.compile(r"\b(?P<year>1[89]\d\d|20\d\d)-(?P<mon>0[1-9]|1[0-2])(?:-(?P<day>[0-3]\d))?\b"),
    _SLASHED,
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.I),
    re.compile(rf"\b{_DAY}\s+(?:{_OF})?{_MONTH},?\s+(?:{_OF})?{_YEAR}\b", re.I),
    re.compile(rf"\b{_MONTH},?\s+(?:{_OF})?{_YEAR}\b", re.I),
    re.compile(rf"\b{_YEAR}\b"),
)
# Words that say the date of the code itself, in English, Spanish and French. Those that say when
# it takes effect come first: "Adopted 2019, effective 1 January 2020" is effective in 2020.
_EFFECTIVE_KEYWORD = re.compile(
    r"(?<!\w)(?:effective|in\s+force|en\s+vigor|en\s+vigueur|vigente\s+(?:a\s+partir|desde))(?!\w)",
    re.I,
)
_DATE_KEYWORD = re.compile(
    r"(?<!\w)(?:adopt(?:ed|s|ion)?|promulgat(?:ed|ion)|effective|revised|revision|updated|posted|"
    r"approved|amended|enacted|issued|ratified|in\s+force|dated|last\s+modified|"
    r"aprobad[oa]s?|publicad[oa]s?|expedid[oa]s?|promulgad[oa]s?|reformad[oa]s?|en\s+vigor|"
    r"vigente\s+(?:a\s+partir|desde)|adopté(?:e|s|es)?|approuvé(?:e|s|es)?|publié(?:e|s|es)?|"
    r"révisé(?:e|s|es)?|modifié(?:e|s|es)?|en\s+vigueur)(?!\w)",
    re.I,
)

_SUBTITLE_ISSUER = re.compile(
    r"^(?i:for|of)\s+(?i:the\s+)?(?i:members|member\s+agencies|members\s+and\s+\w+)\s+of\s+(?:the\s+)?"
    r"(?P<org>[A-Z].{2,120}?)\.?$"
)
_BY_ISSUER = re.compile(
    r"\b(?:issued|adopted|promulgated|published|approved|distributed)\s+by\s+(?:the\s+)?"
    r"(?P<org>(?:[A-Z][\w&'’.-]*)(?:\s+(?:of|for|and|&|[A-Z][\w&'’.-]*))*)"
)
_TITLE_ISSUER = re.compile(
    r"^(?:the\s+)?(?P<org>(?:[A-Z][\w&'’.-]*\s+){0,5}?[A-Z][\w&'’.-]*(?:\s+(?:Foundation|Society|"
    r"Association|Council|Institute|Board|Federation|Union|Organi[sz]ation|Bar|Commission|Syndicate|"
    r"Guild|Academy|College|Chamber|League|Committee|Alliance)))"
    r"\s+(?:Code|Community|Policy|Guidelines|Standards)\b"
)
_THE_ACRONYM_CODE = re.compile(
    r"\bthe\s+(?P<org>[A-Z]{2,8})\s+Code\s+of\s+(?:Ethics|Conduct|Ethical|Professional)\b"
)
_ACRONYM_VERBS = (
    "supports",
    "believes",
    "requires",
    "expects",
    "establishes",
    "adopted",
    "maintains",
    "publishes",
    "promotes",
)
_ACRONYM_SUBJECT = re.compile(
    rf"(?:^|[.!?]\s+)(?:The\s+)?(?P<org>[A-Z]{{3,8}})\s+(?:{'|'.join(_ACRONYM_VERBS)})\b"
)
# Each with the words it cannot match without (one of them), looked for first: searching every
# paragraph of a long code with each pattern was slow.
_ISSUER_PATTERNS = (
    (_BY_ISSUER, ("by",)),
    (_THE_ACRONYM_CODE, ("Code",)),
    (_ACRONYM_SUBJECT, _ACRONYM_VERBS),
)
_ABOUT_THE_CODE = re.compile(
    r"\b(?:code|guidelines|policy|policies|standards|rules|document|revision|version|edition)\b",
    re.I,
)
_PLACEHOLDER = re.compile(r"^\[[^\]]*\]$|\{\{.*\}\}")


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def iso_date(sentence: str, *, day_first: bool = False) -> str | None:
    """The most precise date in a sentence, as ISO 8601 ('1988-06-21', '2019-07', '2001').

    A date with slashes is read month first ("03/01/18" is 1 March 2018) unless its first number
    cannot be a month or ``day_first`` says so (the text is Spanish or French)."""
    found = _first_date(sentence, day_first=day_first)
    return found[0] if found else None


def _full_year(year: str) -> int:
    """ "18" -> 2018, "95" -> 1995: two-digit years from 1970 to 2069."""
    if len(year) == 4:
        return int(year)
    return 2000 + int(year) if int(year) < 70 else 1900 + int(year)


def _slashed(match: re.Match[str], day_first: bool) -> str | None:
    first, second, year = int(match["first"]), int(match["second"]), _full_year(match["year"])
    month, day = (second, first) if day_first or first > 12 else (first, second)
    if not 1 <= month <= 12 or not _is_date(year, month, day):
        return None
    return f"{year}-{month:02d}-{day:02d}"


def _first_date(sentence: str, *, day_first: bool = False) -> tuple[str, int, int] | None:
    """The most precise date in a sentence as ISO 8601, with where it starts and ends."""
    for pattern in _DATES:
        for match in pattern.finditer(sentence):
            found = _date_of(match, pattern, day_first)
            if found:
                return found, match.start(), match.end()
    return None


def _date_of(match: re.Match[str], pattern: re.Pattern[str], day_first: bool) -> str | None:
    if pattern is _SLASHED:
        return _slashed(match, day_first)
    groups = match.groupdict()
    year = groups["year"]
    month = groups.get("mon") or (
        f"{_MONTHS[groups['month'].lower().rstrip('.')]:02d}" if groups.get("month") else None
    )
    day = groups.get("day")
    if month and day and _is_date(int(year), int(month), int(day)):
        return f"{year}-{month}-{int(day):02d}"
    if month:
        return f"{year}-{month}"
    return year


# Dates in Spanish and French are written day first ("16/05/2022").
_DAY_FIRST_WORDS = re.compile(
    r"(?<!\w)(?:aprobad|publicad|expedid|promulgad|reformad|vigente|en\s+vigor|adopté|approuvé|publié|"
    r"révisé|modifié|en\s+vigueur|\bel\b|\ble\b|\bdu\b|\bde\b)",
    re.I,
)
_INITIAL = re.compile(r"(?:^|\s)[A-Z]\.$")


def _date_sentences(paragraph: str) -> list[str]:
    """Sentences, keeping initials together: "Publicado en el P. O. E. el 21 de mayo de 2022"."""
    merged: list[str] = []
    for part in sentences(paragraph):
        if merged and _INITIAL.search(merged[-1]):
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    return merged


def effective_date(
    paragraphs: list[str], *, line: re.Pattern[str] | None = None, lines: list[str] | None = None
) -> str | None:
    """The date that a sentence says the code takes effect on, or else was adopted, promulgated,
    revised ... on: the first of these in the text (an effective date in the same paragraph or the
    few after it wins over an adoption or revision date).

    The date must stand by the word that says so: "Adopted by the council on 21 June 1988",
    "As revised July 2019", "the 2019 revision", "Effective: 03/01/18", "Aprobado por el CJE el 16
    de mayo de 2022". A year elsewhere in the sentence dates something else ("adopted its code
    shortly after it was founded in 2001" gives no date).

    With ``line`` (a body's profile says which line states the date), the first date on the first
    of ``lines`` (or else of the paragraphs) that the pattern matches, after the match if there is
    one there.
    """
    if line is not None:
        for text in [*(lines or ()), *paragraphs]:
            match = line.search(text)
            if not match:
                continue
            day_first = bool(_DAY_FIRST_WORDS.search(text))
            found = _first_date(text[match.start() :], day_first=day_first) or _first_date(
                text, day_first=day_first
            )
            if found:
                return found[0]
    fallback: str | None = None
    left = _LOOK_FOR_EFFECTIVE
    for paragraph in paragraphs:
        if fallback is not None:
            left -= 1
            if left < 0:
                break
        if not _DATE_KEYWORD.search(paragraph):
            continue
        for sentence in _date_sentences(paragraph):
            for keyword in _DATE_KEYWORD.finditer(sentence):
                found = _date_by(sentence, keyword.start(), keyword.end())
                if found and _EFFECTIVE_KEYWORD.fullmatch(keyword.group()):
                    return found
                fallback = fallback or found
    return fallback


# After a line that dates the code ("Adopted 2019"), the paragraphs just after it may say when it
# takes effect ("Effective 1 January 2020"), which wins; further on, a date is another matter.
_LOOK_FOR_EFFECTIVE = 5


_MAX_WORDS_TO_DATE = 10  # "adopted by the Board of Directors of the Guild on 1 May 2020"
_MAX_WORDS_DATE_TO = 1  # "the 2019 revision", "May 2017 (revised)", "2019 as amended"
_WORDS_BEFORE_DATE = 3
_WORD = re.compile(r"\w+")
# Words that start another event between the keyword and a date: the date is that event's.
_OTHER_EVENT = re.compile(
    r"\b(?:found(?:ed|ing)|establish(?:ed|ment)|formed|formation|incorporat(?:ed|ion)|created|"
    r"born|since|after|before|until|when|which|who|while|fundad[oa]|cread[oa]|desde|después|antes|"
    r"fondée?|créée?|depuis|après|avant)(?!\w)",
    re.I,
)


def _date_by(sentence: str, start: int, end: int) -> str | None:
    """The date just after (or just before) the keyword at ``sentence[start:end]``, if any."""
    day_first = bool(_DAY_FIRST_WORDS.search(sentence))
    after = _first_date(sentence[end:], day_first=day_first)
    if after:
        gap = sentence[end : end + after[1]]
        if len(_WORD.findall(gap)) <= _MAX_WORDS_TO_DATE and not _OTHER_EVENT.search(gap):
            return after[0]
    before = _last_date(sentence[:start], day_first=day_first)
    if before:
        gap = sentence[before[2] : start]
        # "founded in 2001, adopted ...": the words before the date say whose date it is.
        lead = " ".join(sentence[: before[1]].split()[-_WORDS_BEFORE_DATE:])
        if (
            len(_WORD.findall(gap)) <= _MAX_WORDS_DATE_TO
            and not _OTHER_EVENT.search(gap)
            and not _OTHER_EVENT.search(lead)
        ):
            return before[0]
    return None


def _last_date(text: str, *, day_first: bool = False) -> tuple[str, int, int] | None:
    """The date nearest the end of ``text``."""
    last = None
    offset = 0
    while True:
        found = _first_date(text[offset:], day_first=day_first)
        if not found:
            return last
        last = (found[0], offset + found[1], offset + found[2])
        offset = last[2]


def _clean_org(org: str) -> str | None:
    org = re.sub(r"\s+", " ", org).strip(" .,;:")
    org = re.sub(r"\s+(?:board|on|in|under)$", "", org, flags=re.I)
    if not org or _PLACEHOLDER.search(org) or len(org) > 120:
        return None
    return org


def issuer(title: str | None, subtitles: list[str], paragraphs: list[str]) -> str | None:
    """Who issued the code: a subtitle 'For members of the X', 'adopted by the X', a title 'X Code of ...'."""
    for line in subtitles:
        match = _SUBTITLE_ISSUER.match(line)
        if match:
            return _clean_org(match.group("org"))
    if title:
        match = _TITLE_ISSUER.match(title)
        if match:
            return _clean_org(match.group("org"))
    everything = "\n".join(paragraphs)  # no word looked for holds a line end
    for pattern, needs in _ISSUER_PATTERNS:
        for paragraph in _holding(paragraphs, needs, everything):
            for sentence in sentences(paragraph) if pattern.search(paragraph) else ():
                match = pattern.search(sentence)
                # "measures approved by the board" names no issuer; "this code, adopted by ..." does.
                if match and (pattern is not _BY_ISSUER or _ABOUT_THE_CODE.search(sentence)):
                    found = _clean_org(match.group("org"))
                    if found:
                        return found
    return None


def _holding(paragraphs: list[str], words: tuple[str, ...], everything: str) -> list[str]:
    """The paragraphs that hold one of ``words``, in order. ``everything`` is the paragraphs
    joined: a word it does not hold is looked for in no paragraph (a large code has tens of
    thousands of paragraphs, and most of these words are in none)."""
    words = tuple(word for word in words if word in everything)
    if len(words) == 1:
        return [paragraph for paragraph in paragraphs if words[0] in paragraph]
    return [p for p in paragraphs if any(word in p for word in words)] if words else []


_ORGANISATION = re.compile(
    r"\b(?:association|society|council|institute|foundation|board|federation|union|"
    r"organi[sz]ation|commission|bar|academy|college|guild|league|chamber|committee)\b",
    re.I,
)
_CODE_NAME = re.compile(r"\b(?:code|ethics|conduct|standards|rules|guidelines|canons)\b", re.I)


def title_under_issuer(title: str | None, preamble: list[str]) -> tuple[str, str] | None:
    """'ASSOCIATION OF EXAMPLE MEDIATORS' over 'CODE OF PROFESSIONAL CONDUCT': the first line
    names the issuer, the second the code. Returns (title, issuer) when the text reads so."""
    if not title or not preamble:
        return None
    second = preamble[0]
    if (
        _ORGANISATION.search(title)
        and not _CODE_NAME.search(title)
        and _CODE_NAME.search(second)
        and len(second.split()) <= 10
        and not second.rstrip().endswith((".", ";", ":"))
    ):
        return second, title
    return None


def is_placeholder_title(title: str) -> bool:
    return bool(_PLACEHOLDER.search(title))
