"""What a provision says: its modality, its subject, its lead-in and its inline sub-clauses."""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from .patterns import roman_value
from .patterns import vocabulary as _words

# "may" that speaks of what is possible, not of what is allowed: "there may be", "may seem",
# "may result in", "may be subject to", "anything that may impair", "as may be required".
_EPISTEMIC_MAY = (
    r"may\b(?<!\bthere\smay)(?<!\bit\smay)(?!\s+\d)"
    r"(?!\s+(?:not\s+)?(?:seem|appear|differ|vary|occur|happen|result|lead|cause|affect|feel|"
    r"arise|exist|include|involve|well|also|even|sometimes|often|always|necessarily|"
    r"constitute|create|give\s+rise|compromise|impair|jeopardi[sz]e|harm|interfere|influence|"
    r"reflect|raise|become|reasonably|"
    r"be\s+(?:subject|liable|exposed|grounds|perceived|seen|viewed|considered|deemed|regarded|"
    r"construed|interpreted|appropriate|necessary|needed|required|affected|harmed|"
    r"unaware|unable|the\s+case))\b)"
)
# A relative clause's "may" describes, it does not allow: "conduct that may harm", "as may be".
# (Each lookbehind is tried only where "may" matched: the pattern stays fast.)
_PERMISSIVE_MAY = (
    _EPISTEMIC_MAY + r"(?<!\bthat\smay)(?<!\bwhich\smay)(?<!\bwhat\smay)(?<!\bas\smay)"
)

# Every character that a case-insensitive s, m, d, n, o, i, a or w matches: the first letters of
# the modal words (tests/codes/test_modal_pattern.py checks the list against all of Unicode).
_MODAL_FIRST = "ADIMNOSWadimnoswİıſ"
_IS_ARE = r"(?:(?<=i)s|(?<=a)re)"

# Leftmost match wins; at one position the alternatives are tried in order, prohibitions first,
# so "shall not" is never read as "shall".
# The pattern opens with a set of characters (case-sensitive, so the engine may use it): the
# engine then skips at C speed to the next letter that can open a modal word instead of trying
# the whole pattern at every character. The letter is taken, the word boundary before it looked
# behind for, and each alternative checks by a look-behind that it opened with its own letter
# ("(?<=s)hall" is "shall"): the same matches, in the same order, as the words written whole.
# A look-ahead then skips, cheaply, every word that can continue no alternative.
_MODAL = re.compile(
    rf"(?-i:[{_MODAL_FIRST}])(?<!\w.)(?=(?:hall|ust|ay|hould|ught|ever|o|on|s|re|ill)\b)(?:"
    rf"(?P<prohibition>(?:(?<=s)hall|(?<=m)ust|(?<=m){_EPISTEMIC_MAY[1:]})\s+(?:not|never)\b"
    r"|(?:(?<=s)hall|(?<=m)ust|(?<=s)hould)\s+(?:at\s+all\s+times\s+)?(?:refrain|abstain)\s+from\b"
    r"|(?<=n)ever\b|(?<=d)o\s+not\b|(?<=d)on['’]t\b"
    r"|(?<=n)o\s+(?:[\w'’-]+,?\s+){0,8}?(?:shall|must|may)\s+be\b"  # "no false name shall be used"
    rf"|{_IS_ARE}\s+(?:strictly\s+)?(?:prohibited|forbidden)\b"
    rf"|{_IS_ARE}\s+not\s+(?:permitted|allowed|acceptable|tolerated)\b"
    r"|(?<=w)ill\s+not\s+be\s+(?:tolerated|accepted|permitted|allowed)\b)"
    rf"|(?P<obligation>(?<=s)hall\b|(?<=m)ust\b|{_IS_ARE}\s+(?:required|obliged|obligated)\s+to\b)"
    rf"|(?P<permission>(?<=m){_PERMISSIVE_MAY[1:]}|{_IS_ARE}\s+(?:permitted|allowed|entitled)\s+to\b)"
    # Advice is neither: "should enter into an agreement ... the engineer may make" is no permission.
    r"|(?P<advice>(?<=s)hould\b(?<!\bthat\sshould)(?<!\bwhich\sshould)|(?<=o)ught\s+to\b)"
    r")",
    re.IGNORECASE,
)

# Base forms that open an imperative provision ("Adhere to ...", "Be accountable ...").
_IMPERATIVE_VERBS = _words(
    """
    abide abstain accept account acknowledge act adhere advise advocate alert allow answer
    apologize apologise apply appreciate approach arrange ask assess assign assist assume
    attempt avoid be behave call care cease check choose clarify collaborate comply conduct
    confirm consider consult contact continue contribute cooperate co-operate correct credit
    deal decide decline declare deliver demonstrate describe determine disclose discuss display
    document do educate encourage ensure escalate establish exercise explain express facilitate
    focus follow foster gather give help hold honor honour identify include inform investigate
    involve keep know lead learn leave let listen look maintain make notify obey observe offer
    participate pay perform practice practise prepare preserve prevent prioritize prioritise
    promote protect provide publish pursue reach recognize recognise record recuse refer reflect
    refrain refuse reiterate remain remember remind remove report represent request resolve
    respect respond retain return review safeguard seek serve share show speak step stop strive
    submit support take talk teach tell thank think treat try uphold use value verify welcome
    withdraw work write
    """
)
_LEADING_ADVERBS = _words(
    """
    always never properly promptly immediately please also actively carefully diligently fully
    honestly openly only regularly timely truthfully
    """
)

_SUBORDINATORS = _words(
    """
    if when where whenever unless although though while once after before as because except
    consistent subject notwithstanding in for during upon
    """
)
_NP_STOPS = re.compile(
    r"\s(?:who|which|that|whose|whom|having|when|where|while|in|as|at|under|during|within|upon|"
    r"before|after|by|engaged|acting|using|serving)\s",
    re.IGNORECASE,
)
_PRONOUNS = _words(
    """
    he she it they we you i this these those such one which who that
    """
)
_MARKS = re.compile(r"[™®©℠]")

# The full stop is matched, not looked behind for: a pattern that opens with a set of characters
# lets the engine skip to the next candidate at once (sentences() splits after the stop).
_SENTENCE_END = re.compile(r"[.!?]['\"”’)]*\s+(?=[\"“(\[]?[A-Z0-9])")
_ABBREVIATIONS = re.compile(
    r"(?:^|\W)(?:e\.g|i\.e|etc|vs|cf|no|mr|mrs|ms|dr|st|inc|ltd|u\.s|art|sec)\.$", re.I
)


def sentences(text: str) -> list[str]:
    """Split prose into sentences (good enough for lead-ins and subjects, not for linguistics)."""
    return [sentence for _, sentence in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, str]]:
    """``sentences(text)``, each with the offset in ``text`` where it starts."""
    parts: list[tuple[int, str]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start() + 1  # after the stop
        if _ABBREVIATIONS.search(text[max(start, end - 12) : end].strip()):
            continue  # "e.g. Name" does not end a sentence
        _add_sentence(parts, text, start, end)
        start = match.end()
    _add_sentence(parts, text, start, len(text))
    return parts


def _add_sentence(parts: list[tuple[int, str]], text: str, start: int, end: int) -> None:
    raw = text[start:end]
    candidate = raw.strip()
    if candidate:
        parts.append((start + len(raw) - len(raw.lstrip()), candidate))


_PROHIBITIVE_START = re.compile(
    r"^(?:do\s+not|don['’]t|never|refrain\s+from|abstain\s+from)\b", re.I
)


DUTY_KINDS = ("obligation", "prohibition", "permission", "recommendation")


@dataclass(frozen=True)
class Duty:
    """One thing a provision says must, must not, may or should be done, and the sentence saying it."""

    kind: str  # one of DUTY_KINDS
    sentence: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "sentence": self.sentence}


_BARE_NEGATION = re.compile(r"(?:never|do\s+not|don['’]t)$", re.IGNORECASE)
# How to read the code, not what to do: "This shall in no way be construed to ...".
_INTERPRETIVE = re.compile(
    r"(?:shall|must|may|should)\s+(?:not\s+|in\s+no\s+way\s+)?be\s+"
    r"(?:construed|interpreted|deemed|read|understood|taken)\b",
    re.IGNORECASE,
)


def _order_kind(sentence: str) -> str | None:
    """'Keep records.' -> obligation, 'Do not ...' -> prohibition, also after a lead-in's colon
    ('It will: Acknowledge the report')."""
    before, _, after = sentence.rpartition(": ")
    if before and _is_caption(before):
        after = ""  # "Community Impact: Use of ...": a caption, not a lead-in; "Use" is a noun
    for part in (sentence,) if not after or after == sentence else (sentence, after):
        if _PROHIBITIVE_START.match(part):
            return "prohibition"
        if is_imperative(part):
            return "obligation"
    return None


def _is_caption(words: str) -> bool:
    """'Community Impact', 'Consequence': a few capitalised words before a colon (no lead-in)."""
    split = words.split()
    return len(split) <= 3 and all(w[:1].isupper() for w in split)


def duties(text: str) -> list[Duty]:
    """Every duty ``text`` states, in order, each with its sentence (once per kind and sentence).

    A sentence that is an order ("Keep records", "Do not ...") states one duty, whatever modal
    verbs it contains ("Remember that venues may be shared" is one obligation). Otherwise each
    modal verb is one duty: "shall"/"must" an obligation, "shall not"/"must not"/"never" a
    prohibition, "may" a permission (but not "may" of possibility: "may result in", "may be
    subject to", "conduct that may harm"), "should"/"ought to" a recommendation. A bare "never"
    or "do not" counts only as the first modal of its sentence ("shall ensure they do not ..." is
    one obligation); "shall in no way be construed" is how to read the code, no duty; "may" or
    "should" in a relative clause ("a fee that should cover its costs") describes, it does not allow.
    """
    memo = getattr(_parsing, "duties", None)
    if memo is None:
        return list(_duties(text))
    found = memo.get(text)
    if found is None:
        found = memo[text] = _work_out_duties(text)
    return list(found)


# The parse asks twice for each provision (its modality, then its duties): worked out once, in a
# memo that lasts as long as the parse (``duties_remembered``). A bounded cache would not do: the
# parse asks for every provision's duties in one pass, then again in a second, and a code with
# more provisions than the bound would find none of them still there. Elsewhere the bounded
# cache keeps repeated questions cheap and memory small.
_parsing = threading.local()


@contextlib.contextmanager
def duties_remembered() -> Iterator[None]:
    """Remember the duties worked out (in this thread) until the block ends: around a parse. With
    them, where each text's first modal verb starts, for its subject (``subject_of``)."""
    outer = getattr(_parsing, "duties", None), getattr(_parsing, "first_modal", None)
    _parsing.duties, _parsing.first_modal = {}, {}
    try:
        yield
    finally:
        _parsing.duties, _parsing.first_modal = outer


@functools.lru_cache(maxsize=1 << 16)
def _duties(text: str) -> tuple[Duty, ...]:
    return _work_out_duties(text)


def _work_out_duties(text: str) -> tuple[Duty, ...]:
    found: list[Duty] = []
    spans = sentence_spans(text)
    orders = [_order_kind(sentence) for _, sentence in spans]
    # The modal verbs of the whole text in one scan, each then read in its sentence: a match never
    # crosses a sentence's end (a stop no alternative takes) and sees the same characters around
    # it (white space before a sentence, its stop after), so it is the match the sentence alone
    # gives. The first is the text's first modal verb, which its subject stands before.
    matches = [] if all(orders) else list(_MODAL.finditer(text))
    memo = getattr(_parsing, "first_modal", None)
    if memo is not None and matches:
        memo[text] = matches[0].start()
    at = 0
    for (offset, sentence), order in zip(spans, orders, strict=True):
        end = offset + len(sentence)
        first = at
        while at < len(matches) and matches[at].start() < end:
            at += 1
        if order:
            found.append(Duty(order, sentence))
            continue
        for index, match in enumerate(matches[first:at]):
            if index and _BARE_NEGATION.match(match.group(0)):
                continue
            if _INTERPRETIVE.match(text, match.start()):
                continue
            kind = "recommendation" if match.lastgroup == "advice" else match.lastgroup
            duty = Duty(kind or "obligation", sentence)
            if duty not in found:  # "shall keep ... and shall file ...": one sentence, one duty
                found.append(duty)
    return tuple(found)


def forget_duties() -> None:
    """Drop the duties worked out so far outside a parse (the bounded cache)."""
    _duties.cache_clear()


def provision_duties(text: str, full_text: str) -> list[Duty]:
    """The duties a provision states, from what the database keeps of it (its text and full
    text). A provision whose text ends in a lead-in ("Members shall:") states the duties of its
    own words, not those of the clauses written after it in its full text (each clause states its
    own); one without text states none."""
    stripped = text.strip()
    if not stripped:
        return []
    if stripped.endswith((":", "—", "–")) or ends_in_except(stripped):
        return duties(stripped)  # its clauses, in its full text, state their own
    return duties(full_text or text)


def modality_of_duties(found: list[Duty]) -> str | None:
    """A provision's single modality from its duties: the first binding duty (obligation or
    prohibition); failing one, the first duty, where a recommendation gives none ("should
    publish ..., which they may revise" prescribes nothing)."""
    for duty in found:
        if duty.kind in ("obligation", "prohibition"):
            return duty.kind
    if found and found[0].kind == "permission":
        return "permission"
    return None


def modality(own: str, full_text: str | None = None) -> str | None:
    """A provision's modality from its own words and, failing an imperative, its full text.

    An imperative governs its provision ("Remember that venues may be shared" is an obligation);
    otherwise the duties of the full text decide (``modality_of_duties``): "Members shall:" +
    "keep records" is an obligation, and "Complaints may be sent to the clerk, who shall
    answer ..." too, because a binding duty outranks a permission.
    """
    return _own_order(own) or modality_of_duties(duties(own if full_text is None else full_text))


def modality_and_order(own: str, full_text: str) -> tuple[str | None, bool]:
    """``modality(own, full_text)``, and whether ``own`` is an order (``is_order``): both at once."""
    order = _own_order(own)
    if order:
        return order, True
    return modality_of_duties(duties(full_text)), False


def _own_order(text: str) -> str | None:
    """'prohibition' for 'Do not ...', 'Refrain from ...'; 'obligation' for 'Keep records'."""
    if _PROHIBITIVE_START.match(text):
        return "prohibition"
    if is_imperative(text):
        return "obligation"
    return None


def is_order(text: str) -> bool:
    """An imperative, positive ('Keep records') or negative ('Do not ...', 'Refrain from ...')."""
    return _own_order(text) is not None


def modal_of(text: str) -> str | None:
    """The modality of the first modal verb in ``text``: 'shall not' -> 'prohibition', ..."""
    match = _MODAL.search(text)
    if match is None or match.lastgroup == "advice":
        return None
    return match.lastgroup


_FIRST_WORD = re.compile(r"\s*([A-Za-z][A-Za-z'’-]*)")


def is_imperative(text: str) -> bool:
    if "a" <= text[:1] <= "z":
        return False  # a first word in lower case (most clauses) is no order
    first = _FIRST_WORD.match(text)
    if first is None:
        return False
    word = first.group(1)
    if not word[0].isupper():
        return False
    if word.lower() not in _LEADING_ADVERBS:  # the common case, without a word list
        return word.lower() in _IMPERATIVE_VERBS
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", text[:80])
    if not words or not words[0][0].isupper() or not text.lstrip()[:1].isalpha():
        return False
    while len(words) > 1 and words[0].lower() in _LEADING_ADVERBS:
        words = words[1:]
    # "Report violations ..." is an order; "Report documentation is ..." would not be, but codes
    # rarely open a provision with a noun that is also a verb, so the first word decides.
    return words[0].lower() in _IMPERATIVE_VERBS


def clean_subject(text: str) -> str | None:
    if not text.isascii():  # the marks are not
        text = _MARKS.sub("", text)
    # Runs of white space become one space (the ends are stripped: so are the spaces).
    text = " ".join(text.split()).strip(" ,;:-–—")
    if not text:
        return None
    words = text.split()
    if text.lower() in _PRONOUNS or words[0].lower() in _PRONOUNS:
        return None
    if len(words) > 8 or not text[0].isalpha():
        return None
    return text[0].upper() + text[1:]


_NEGATION_END = re.compile(r"\b(?:do|don['’]t|never)\s*$", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r".*(?:[.!?:;]\s|\n)", re.DOTALL)


def subject_of(text: str) -> str | None:
    """The noun phrase before the first modal verb: 'A lawyer', 'Members', 'Engineers'."""
    memo = getattr(_parsing, "first_modal", None)
    start = memo.get(text) if memo is not None else None  # found with the text's duties
    if start is None:
        match = _MODAL.search(text)
        if not match:
            return None
        start = match.start()
    return _subject_before(text[:start])


# Clauses under one lead-in share the words before their modal verb ("Members shall: (a) ...;
# (b) ..." are each "Members shall ..."): their subject is read once.
@functools.lru_cache(maxsize=4096)
def _subject_before(before: str) -> str | None:
    """The noun phrase that ends ``before``, the words of a text up to its first modal verb."""
    sentence_start = _CLAUSE_BREAK.match(before)
    if sentence_start:
        before = before[sentence_start.end() :]
    if before.rstrip()[-1:] in "otrOTR" and _NEGATION_END.search(before):
        return None  # ("do", "don't", "never": the last letters the search can end on)
    segments = before.split(",")
    first_word = segments[0].strip().split(" ", 1)[0].lower() if segments[0].strip() else ""
    phrase = segments[-1] if first_word in _SUBORDINATORS else segments[0]
    if not phrase.strip() and len(segments) > 1:
        phrase = segments[0]
    padded = " " + phrase.strip() + " "
    stop = _NP_STOPS.search(padded)
    if stop:
        phrase = padded[: stop.start()]
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

_INLINE_MARK = re.compile(r"(?:^|(?<=[\s:;,—–-]))\((?P<label>[a-z]{1,4}|\d{1,2})\)\s+")


@dataclass(frozen=True)
class InlineSplit:
    lead: str  # "Members shall:"
    parts: list[tuple[str, str]]  # ("(a)", "treat clients with respect and courtesy;")


def _sequence_key(label: str) -> tuple[str, int] | None:
    if label.isdigit():
        return "num", int(label)
    if len(label) == 1 and label not in "ivx":
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
        if (kind == "alpha" and label == chr(ord("a") + len(run))) or key == (kind, expected):
            run.append(mark)
    if len(run) < 2:
        return None
    lead = text[: run[0].start()].strip()
    parts: list[tuple[str, str]] = []
    for i, mark in enumerate(run):
        end = run[i + 1].start() if i + 1 < len(run) else len(text)
        parts.append((f"({mark.group('label')})", text[mark.end() : end].strip()))
    return InlineSplit(lead, parts)


_EXCEPT_END = re.compile(r"\bexcept\s*[;,]?$", re.IGNORECASE)


def ends_in_except(stripped: str) -> bool:
    """'... except;': ``stripped`` (no white space at its end) ends on the word 'except'."""
    return stripped[-1:] in "tT;," and bool(_EXCEPT_END.search(stripped))


_TRAILING_JOINER = re.compile(r"(?:[;,.]\s*(?:and|or|and/or)?|\s+(?:and|or))\s*$", re.IGNORECASE)


_JOINER_WINDOW = 48  # characters: a joiner has at most 7 that are not white space (",and/or")


def strip_joiner(text: str) -> str:
    """'... to its clients; and' -> '... to its clients'."""
    # The joiner ends the text: searched for in its last characters only, unless they are so
    # blank that it could start further back (then the whole text is searched).
    start = len(text) - _JOINER_WINDOW
    if start <= 0 or len("".join(text[start:].split())) < 8:
        start = 0
    match = _TRAILING_JOINER.search(text, start)
    return (text[: match.start()] if match else text).rstrip()


def lead_in_of(text: str) -> str | None:
    """The sentence that ends a paragraph and introduces what follows: 'Members shall:', or the
    PH code's '... except;' (sic). None when the paragraph introduces nothing."""
    stripped = text.rstrip()
    if not stripped.endswith((":", "—", "–")) and not ends_in_except(stripped):
        return None
    parts = sentences(stripped)
    return parts[-1] if parts else None


# A lead-in that ends on one of these words reads straight on into a clause in lower case.
_OPEN_END = re.compile(
    r"\b(?:shall|must|may|should|will|can|cannot|to|that|include|includes|including|are|is|be|"
    r"except|if|when|where|whether|of|for|by|with|from|in|on|and|or|as|than|not|namely|such|"
    r"which|who|means|whereby)$",
    re.IGNORECASE,
)


_LEAD_END = re.compile(r"[\s:;,—–-]+$")


def join_lead(lead: str, text: str) -> str:
    """A clause read on its own: its lead-in, then its words without the trailing '; and'.

    'Members shall:' + 'maintain accounts; and' -> 'Members shall maintain accounts';
    'It will:' + 'Acknowledge the report.' -> 'It will: Acknowledge the report'.
    """
    body = strip_joiner(text)
    bare, open_end = _bare_lead(lead)
    if not bare:
        return body
    if body[:1].islower() and open_end:
        return f"{bare} {body}"
    return f"{bare}: {body}"


@functools.lru_cache(maxsize=1024)  # the clauses under one lead-in share it
def _bare_lead(lead: str) -> tuple[str, bool]:
    """A lead-in without its closing colon or dash, and whether it ends on a word that reads on
    into a clause in lower case."""
    bare = _LEAD_END.sub("", lead.rstrip())
    return bare, bool(_OPEN_END.search(bare))
