"""What a provision says: its modality, its subject, its lead-in and its inline sub-clauses."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Leftmost match wins; at one position the alternatives are tried in order, prohibitions first,
# so "shall not" is never read as "shall".
_MODAL = re.compile(
    r"\b(?:"
    r"(?P<prohibition>(?:shall|must|may)\s+(?:not|never)\b"
    r"|(?:shall|must|should)\s+(?:at\s+all\s+times\s+)?(?:refrain|abstain)\s+from\b"
    r"|(?:refrain|abstain)(?:s|ed|ing)?\s+from\b"
    r"|never\b|do\s+not\b|don['’]t\b|cannot\s+be\s+tolerated\b"
    r"|(?:is|are)\s+(?:strictly\s+)?(?:prohibited|forbidden)\b"
    r"|(?:is|are)\s+not\s+(?:permitted|allowed|acceptable|tolerated)\b"
    r"|will\s+not\s+be\s+(?:tolerated|accepted|permitted|allowed)\b)"
    r"|(?P<obligation>shall\b|must\b|(?:is|are)\s+(?:required|obliged|obligated)\s+to\b)"
    r"|(?P<permission>may\b|(?:is|are)\s+(?:permitted|allowed|entitled)\s+to\b)"
    r")",
    re.IGNORECASE,
)

# Base forms that open an imperative provision ("Adhere to ...", "Be accountable ...").
_IMPERATIVE_VERBS = frozenset(
    """abide abstain accept account acknowledge act adhere advise advocate alert allow answer apologize
    apologise apply appreciate approach arrange ask assess assign assist assume attempt avoid be behave
    call care cease check choose clarify collaborate comply conduct confirm consider consult contact
    continue contribute cooperate co-operate correct credit deal decide decline declare deliver
    demonstrate describe determine disclose discuss display document do educate encourage ensure
    escalate establish exercise explain express facilitate focus follow foster gather give help hold
    honor honour identify include inform investigate involve keep know lead learn leave let listen
    look maintain make notify obey observe offer participate pay perform practice practise prepare
    preserve prevent prioritize prioritise promote protect provide publish pursue reach recognize
    recognise record recuse refer reflect refrain refuse reiterate remain remember remind remove
    report represent request resolve respect respond retain return review safeguard seek serve share
    show speak step stop strive submit support take talk teach tell thank think treat try uphold use
    value verify welcome withdraw work write""".split()
)
_LEADING_ADVERBS = frozenset(
    "always never properly promptly immediately please also actively carefully diligently "
    "fully honestly openly only regularly timely truthfully".split()
)

_SUBORDINATORS = frozenset(
    "if when where whenever unless although though while once after before as because except "
    "consistent subject notwithstanding in for during upon".split()
)
_NP_STOPS = re.compile(
    r"\s(?:who|which|that|whose|whom|having|when|where|while|in|as|at|under|during|within|upon|"
    r"before|after|by|engaged|acting|using|serving)\s",
    re.IGNORECASE,
)
_PRONOUNS = frozenset("he she it they we you i this these those such one which who that".split())
_MARKS = re.compile(r"[™®©℠]")

_SENTENCE_END = re.compile(r"(?<=[.!?])['\"”’)]*\s+(?=[\"“(\[]?[A-Z0-9])")
_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|etc|vs|cf|no|mr|mrs|ms|dr|st|inc|ltd|u\.s|art|sec)\.$", re.I)


def sentences(text: str) -> list[str]:
    """Split prose into sentences (good enough for lead-ins and subjects, not for linguistics)."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()].strip()
        if _ABBREVIATIONS.search(candidate):
            continue
        if candidate:
            parts.append(candidate)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def modality(text: str) -> str | None:
    match = _MODAL.search(text)
    if match:
        return match.lastgroup
    return "obligation" if is_imperative(text) else None


def is_imperative(text: str) -> bool:
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", text[:80])
    while words and words[0].lower() in _LEADING_ADVERBS:
        words = words[1:]
    if not words:
        return False
    first = words[0]
    if first.lower() not in _IMPERATIVE_VERBS or not first[0].isupper():
        return False
    # "Report violations ..." is an order; "Report documentation is ..." would not be, but codes
    # rarely open a provision with a noun that is also a verb, so the first word decides.
    return True


def clean_subject(text: str) -> str | None:
    text = _MARKS.sub("", text)
    text = re.sub(r"\s+", " ", text).strip(" ,;:-–—")
    if not text or text.lower() in _PRONOUNS or text.split()[0].lower() in _PRONOUNS:
        return None
    if len(text.split()) > 8 or not text[0].isalpha():
        return None
    return text[0].upper() + text[1:]


def subject_of(sentence: str) -> str | None:
    """The noun phrase before the first modal verb: 'A lawyer', 'Members', 'Engineers'."""
    match = _MODAL.search(sentence)
    if not match:
        return None
    before = sentence[: match.start()]
    if re.search(r"\b(?:do|don['’]t|never)\s*$", before, re.I):
        return None
    segments = [s for s in before.split(",")]
    first_word = segments[0].strip().split(" ", 1)[0].lower() if segments[0].strip() else ""
    phrase = segments[-1] if first_word in _SUBORDINATORS else segments[0]
    if not phrase.strip() and len(segments) > 1:
        phrase = segments[0]
    stop = _NP_STOPS.search(" " + phrase.strip() + " ")
    if stop:
        phrase = (" " + phrase.strip() + " ")[: stop.start()]
    return clean_subject(phrase)


_STATED_SUBJECT = re.compile(
    r"(?:^|[.;:]\s+)(?P<np>[A-Z][^.;:!?]{2,90}?)\s+(?:have|has)\s+(?:the\s+)?"
    r"(?:obligations?|duty|duties|responsibility|responsibilities)\s+to\b"
)


def stated_subject(paragraphs: list[str]) -> str | None:
    """Who the code binds, where the preamble says so: 'X have the obligations to ...'."""
    for paragraph in paragraphs:
        match = _STATED_SUBJECT.search(paragraph)
        if match:
            subject = clean_subject(match.group("np"))
            if subject:
                return subject
    return None


# Inline sub-clauses ------------------------------------------------------------------------------

_INLINE_MARK = re.compile(r"(?:(?<=^)|(?<=[\s:;,—–-]))\((?P<label>[a-z]{1,4}|\d{1,2})\)\s+")


@dataclass(frozen=True)
class InlineSplit:
    lead: str  # "Members shall:"
    parts: list[tuple[str, str]]  # ("(a)", "treat clients with respect and courtesy;")


def _sequence_key(label: str) -> tuple[str, int] | None:
    from .patterns import roman_value

    if label.isdigit():
        return "num", int(label)
    if len(label) == 1 and label not in "iv x":
        return "alpha", ord(label) - ord("a") + 1
    value = roman_value(label)
    if value:
        return "roman", value
    if len(label) == 1:
        return "alpha", ord(label) - ord("a") + 1
    return None


def split_inline(text: str) -> InlineSplit | None:
    """'Members shall: (a) x; (b) y; and (c) z.' -> lead 'Members shall:' and three parts.

    Only a run that starts at (a), (i) or (1) and counts up one by one splits; a lone
    parenthesised letter in running prose ("see (b) above") does not.
    """
    if "(" not in text:
        return None
    marks = list(_INLINE_MARK.finditer(text))
    if len(marks) < 2:
        return None
    run: list[re.Match[str]] = []
    kind = None
    for mark in marks:
        label = mark.group("label")
        if not run:
            if label in ("a", "i", "1"):
                kind = {"a": "alpha", "i": "roman", "1": "num"}[label]
                run = [mark]
            continue
        key = _sequence_key(label)
        expected = len(run) + 1
        if kind == "alpha" and label == chr(ord("a") + len(run)):
            run.append(mark)
        elif key == (kind, expected):
            run.append(mark)
    if len(run) < 2:
        return None
    lead = text[: run[0].start()].strip()
    parts: list[tuple[str, str]] = []
    for i, mark in enumerate(run):
        end = run[i + 1].start() if i + 1 < len(run) else len(text)
        parts.append((f"({mark.group('label')})", text[mark.end() : end].strip()))
    return InlineSplit(lead, parts)


_TRAILING_JOINER = re.compile(r"(?:[;,.]\s*(?:and|or|and/or)?|\s+(?:and|or))\s*$", re.IGNORECASE)
_LEAD_END = re.compile(r"\s*[:—–-]+\s*$")


def strip_joiner(text: str) -> str:
    """'... to its clients; and' -> '... to its clients'."""
    return _TRAILING_JOINER.sub("", text).rstrip()


def lead_in_of(text: str) -> str | None:
    """The sentence of a paragraph that introduces what follows it ('Members shall:'), if any."""
    stripped = text.rstrip()
    if not stripped.endswith((":", "—", "–", ";")) and not re.search(r"\bexcept\s*[;,]?$", stripped):
        return None
    parts = sentences(stripped)
    return parts[-1] if parts else None


def join_lead(lead: str, text: str) -> str:
    """'Members shall:' + 'maintain accounts; and' -> 'Members shall maintain accounts'."""
    lead = _LEAD_END.sub("", lead.rstrip())
    lead = re.sub(r"\s*;$", "", lead)
    body = strip_joiner(text)
    first = body.split(" ", 1)[0] if body else ""
    if first[:1].isupper() and first[1:].islower() and first.isalpha():
        body = first.lower() + body[len(first) :]
    return f"{lead} {body}".strip() if lead else body
