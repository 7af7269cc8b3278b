"""Title, issuing body and effective date, where the text states them."""

from __future__ import annotations

import datetime
import re

from .semantics import sentences

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>1[89]\d\d|20\d\d)"
_DATES = (
    re.compile(r"\b(?P<year>1[89]\d\d|20\d\d)-(?P<mon>0[1-9]|1[0-2])(?:-(?P<day>[0-3]\d))?\b"),
    re.compile(rf"\b{_MONTH}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?,?\s+{_YEAR}\b", re.I),
    re.compile(rf"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.I),
    re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b", re.I),
    re.compile(rf"\b{_YEAR}\b"),
)
_DATE_KEYWORD = re.compile(
    r"\b(?:adopt(?:ed|s|ion)?|promulgat(?:ed|ion)|effective|revised|revision|updated|posted|"
    r"approved|amended|enacted|issued|ratified|in\s+force|dated|last\s+modified)\b",
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


def iso_date(sentence: str) -> str | None:
    """The most precise date in a sentence, as ISO 8601 ('1988-06-21', '2019-07', '2001')."""
    found = _first_date(sentence)
    return found[0] if found else None


def _first_date(sentence: str) -> tuple[str, int, int] | None:
    """The most precise date in a sentence as ISO 8601, with where it starts and ends."""
    for pattern in _DATES:
        match = pattern.search(sentence)
        if not match:
            continue
        groups = match.groupdict()
        year = groups["year"]
        month = groups.get("mon") or (
            f"{_MONTHS[groups['month'].lower().rstrip('.')]:02d}" if groups.get("month") else None
        )
        day = groups.get("day")
        where = (match.start(), match.end())
        if month and day and _is_date(int(year), int(month), int(day)):
            return f"{year}-{month}-{int(day):02d}", *where
        if month:
            return f"{year}-{month}", *where
        return year, *where
    return None


def effective_date(paragraphs: list[str]) -> str | None:
    """The first date that a sentence says the code was adopted, promulgated, revised ... on.

    The date must stand by the word that says so: "Adopted by the council on 21 June 1988",
    "As revised July 2019", "the 2019 revision". A year elsewhere in the sentence dates something
    else ("adopted its code shortly after it was founded in 2001" gives no date).
    """
    for paragraph in paragraphs:
        if not _DATE_KEYWORD.search(paragraph):
            continue
        for sentence in sentences(paragraph):
            for keyword in _DATE_KEYWORD.finditer(sentence):
                found = _date_by(sentence, keyword.start(), keyword.end())
                if found:
                    return found
    return None


_MAX_WORDS_TO_DATE = 10  # "adopted by the Board of Directors of the Guild on 1 May 2020"
_MAX_WORDS_DATE_TO = 1  # "the 2019 revision", "May 2017 (revised)", "2019 as amended"
_WORDS_BEFORE_DATE = 3
_WORD = re.compile(r"\w+")
# Words that start another event between the keyword and a date: the date is that event's.
_OTHER_EVENT = re.compile(
    r"\b(?:found(?:ed|ing)|establish(?:ed|ment)|formed|formation|incorporat(?:ed|ion)|created|"
    r"born|since|after|before|until|when|which|who|while)\b",
    re.I,
)


def _date_by(sentence: str, start: int, end: int) -> str | None:
    """The date just after (or just before) the keyword at ``sentence[start:end]``, if any."""
    after = _first_date(sentence[end:])
    if after:
        gap = sentence[end : end + after[1]]
        if len(_WORD.findall(gap)) <= _MAX_WORDS_TO_DATE and not _OTHER_EVENT.search(gap):
            return after[0]
    before = _last_date(sentence[:start])
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


def _last_date(text: str) -> tuple[str, int, int] | None:
    """The date nearest the end of ``text``."""
    last = None
    offset = 0
    while True:
        found = _first_date(text[offset:])
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
    for pattern, needs in _ISSUER_PATTERNS:
        for paragraph in paragraphs:
            found_in = any(word in paragraph for word in needs) and pattern.search(paragraph)
            for sentence in sentences(paragraph) if found_in else ():
                match = pattern.search(sentence)
                # "measures approved by the board" names no issuer; "this code, adopted by ..." does.
                if match and (pattern is not _BY_ISSUER or _ABOUT_THE_CODE.search(sentence)):
                    found = _clean_org(match.group("org"))
                    if found:
                        return found
    return None


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
