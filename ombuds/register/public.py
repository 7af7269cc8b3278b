"""What the public register shows: one place that applies each body's publication policy.

Pages, the API and `ombuds register verify` all read the register through these functions, so what
the public can see is decided here and nowhere else: which sanctions are shown (`public_sanctions_q`),
which of a holder's details (the program's `public_fields`; a member person's place never), what a
search may return (no open enumeration: a short query finds nothing, results are capped) and how
often one client may ask (`throttle_hit`).

Limits are settings read when used, each with a default:

- ``OMBUDS_REGISTER_SEARCH_MIN_CHARS`` (3): fewest characters in the longest word of a name, agency
  or city query, every word having at least two; a whole credential or member number is looked up
  whatever its length.
- ``OMBUDS_REGISTER_SEARCH_LIMIT`` (20): most results a search returns.
- ``OMBUDS_REGISTER_SEARCH_SCAN`` (500): most matching entries of each kind (credentials, people's
  memberships, agencies' memberships) a search reads before sorting them by name, so that a common
  name costs what a rare one does; when one kind has more, the page says the results shown are
  some of the matches, by name, and asks to narrow the search.
- ``OMBUDS_REGISTER_SEARCHES_PER_MINUTE`` (30), ``OMBUDS_REGISTER_LOOKUPS_PER_MINUTE`` (60, a
  credential's or membership's page, its certificate, the verify endpoint) and
  ``OMBUDS_REGISTER_BULK_UPLOADS_PER_HOUR`` (10): per client address; 0 turns a limit off.
- ``OMBUDS_REGISTER_BULK_MAX_ROWS`` (500) and ``OMBUDS_REGISTER_BULK_MAX_BYTES`` (256 KiB).
- ``OMBUDS_TRUSTED_PROXIES`` (0): how many reverse proxies append to X-Forwarded-For in front of the
  site; with 0 the client address is REMOTE_ADDR.

Requests are counted by `ombuds.core.throttle`, in the database, which every server process and
machine shares, one atomic increment per request.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext, ngettext

from ombuds.bodies.models import Organization
from ombuds.core.throttle import (  # noqa: F401  re-exported while callers move to core.throttle
    THROTTLES,
    Throttled,
    client_address,
    throttle_hit,
)
from ombuds.register import fulltext, public_search
from ombuds.register.models import (
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
)
from ombuds.register.public_entries import (
    AGENCY_MEMBERSHIP_ROW,
    CREDENTIAL_ROW,
    MEMBERSHIP_ROW,
    PERSON_MEMBERSHIP_ROW,
    RegisterEntry,
    credential_entry,
    membership_entry,
    merged_by_name,
)
from ombuds.register.public_sanctions import (  # noqa: F401  re-exported
    PublicProvision,
    PublicSanction,
    Standing,
    public_sanctions_q,
)
from ombuds.register.public_verify import (  # noqa: F401  re-exported
    VerifiedCredential,
    VerifiedMembership,
    credential_in_body,
    credential_shown,
    credential_verify,
    membership_in_body,
    membership_shown,
    membership_verify,
    number_variants,
)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _public_memberships(organization: Organization) -> QuerySet[Membership]:
    # Board seats are listed on the body's home page, not in the register.
    return Membership.objects.filter(organization=organization).exclude(
        membership_type__kind=MembershipType.Kind.BOARD
    )


# --- search ---------------------------------------------------------------------------------------

MAX_QUERY_LENGTH = 100
_MAX_TERMS = 6
_TERM_SPLIT = re.compile(r"[\s,;]+")
# Every word of a name search has at least this many characters: "a a a" or "a,," would otherwise
# list everyone whose name starts with A.
TERM_MIN_CHARS = 2


def search_terms(query: str, min_chars: int) -> list[str] | None:
    """The words a name search looks for, or None when the query is too short to search: each word
    needs TERM_MIN_CHARS characters and the longest `min_chars`, counted after splitting, so that
    separators cannot make up the length."""
    terms = [t for t in _TERM_SPLIT.split(query) if t]
    if not terms:
        return None
    if min(map(len, terms)) < TERM_MIN_CHARS:
        return None
    if max(map(len, terms)) < min_chars:
        return None
    return terms[:_MAX_TERMS]


@dataclass(frozen=True)
class RegisterSearch:
    query: str
    # "empty" (nothing asked), "too_short", "found" or "none"
    outcome: str
    results: list[RegisterEntry]
    truncated: bool
    limit: int
    min_chars: int
    # More entries matched than a search reads (OMBUDS_REGISTER_SEARCH_SCAN): the results are some
    # of the matches, sorted by name, not the first by name of all of them.
    sampled: bool = False

    @property
    def rule(self) -> str:
        return gettext(
            "Type at least %(min)d characters of a name, agency or city, with at least "
            "%(term)d in every word, or a whole credential or member number."
        ) % {"min": self.min_chars, "term": TERM_MIN_CHARS}

    @property
    def message(self) -> str:
        """The status line, one plain sentence."""
        if self.outcome == "too_short":
            return self.rule
        if self.outcome == "none":
            return gettext("Nobody in the register matches “%(query)s”.") % {"query": self.query}
        if self.sampled:
            return gettext(
                "Too many entries match “%(query)s” to sort them all; %(limit)d of them are shown, "
                "by name. Add a given name, a city or the number to narrow the search."
            ) % {"limit": self.limit, "query": self.query}
        if self.truncated:
            return gettext(
                "More than %(limit)d entries match “%(query)s”; the first %(limit)d are shown. "
                "Add a given name, a city or the number to narrow the search."
            ) % {"limit": self.limit, "query": self.query}
        if self.outcome == "found":
            n = len(self.results)
            return ngettext(
                "%(n)d entry matches “%(query)s”.", "%(n)d entries match “%(query)s”.", n
            ) % {"n": n, "query": self.query}
        return ""


def clean_query(query: str) -> str:
    return " ".join(query.split())[:MAX_QUERY_LENGTH]


def register_search(
    organization: Organization,
    query: str,
    *,
    limit: int | None = None,
    programs: dict[int, CredentialProgram] | None = None,
) -> RegisterSearch:
    """Credentials and memberships of the body matching a name, agency, city or exact number.

    A query with a digit is first looked up as a whole credential or member number (case ignored, a
    space standing for nothing or a hyphen): only a whole number finds a record, so numbers cannot be
    listed by prefix. Otherwise, a query whose words (split at spaces, commas and semicolons) have at
    least two characters each and OMBUDS_REGISTER_SEARCH_MIN_CHARS the longest (`search_terms`)
    matches, by the engine's full-text index (`fulltext`), people whose given or family names have
    words starting with every word, agencies whose legal name, trade names or city have, and
    credential holders whose city has when the program publishes the city (a member person's city
    is never searched); accents are ignored. At most `limit` results come back, sorted by name,
    with `truncated` set when there were more. Of each kind, at most OMBUDS_REGISTER_SEARCH_SCAN
    matches are read and sorted (`public_search.search_rows`, one statement for the three kinds),
    with `sampled` set when one kind had that many: then the results are some of the matches, by
    name, not the first of all of them. At most four queries (the programmes, a number's two,
    the search's one), whatever the register's size; three when the caller gives the body's
    programmes (`programs`, as `public_search.body_and_programs` reads them with the body).
    """
    query = clean_query(query)
    limit = limit or _setting("OMBUDS_REGISTER_SEARCH_LIMIT", 20)
    min_chars = _setting("OMBUDS_REGISTER_SEARCH_MIN_CHARS", 3)

    def outcome(kind: str, results=(), truncated=False, sampled=False) -> RegisterSearch:
        return RegisterSearch(query, kind, list(results), truncated, limit, min_chars, sampled)

    if not query:
        return outcome("empty")
    if programs is None:
        programs = public_search.programs_of(organization.pk)
    if any(ch.isdigit() for ch in query):
        found = _by_number(organization, programs, query)
        if found:
            return outcome("found", found)
    terms = search_terms(query, min_chars)
    words = fulltext.tokens(terms) if terms is not None else []
    if not words:
        return outcome("too_short")
    scan = max(limit + 1, _setting("OMBUDS_REGISTER_SEARCH_SCAN", 500))
    # In one order: the ids are written into the statement, whose text then names one plan.
    city_programs = sorted(pk for pk, p in programs.items() if "city" in (p.public_fields or []))
    credentials, memberships, sampled = public_search.search_rows(
        organization.pk, sorted(programs), city_programs, words, limit, scan
    )
    results = merged_by_name(programs, credentials, memberships)
    if not results:
        return outcome("none")
    return outcome("found", results[:limit], truncated=len(results) > limit, sampled=sampled)


def _by_number(organization: Organization, programs: dict, query: str) -> list[RegisterEntry]:
    """The credentials and public memberships whose number is the query, as written or nearly."""
    numbers = number_variants(query)
    credentials = Credential.objects.filter(
        program_id__in=list(programs), number__in=numbers
    ).values(*CREDENTIAL_ROW)
    memberships = (
        _public_memberships(organization)
        .filter(number__in=numbers)
        .values(*PERSON_MEMBERSHIP_ROW, *AGENCY_MEMBERSHIP_ROW[len(MEMBERSHIP_ROW) :])
    )
    return [credential_entry(c, programs[c["program_id"]]) for c in credentials] + [
        membership_entry(m) for m in memberships
    ]


# --- bulk verification ----------------------------------------------------------------------------


class BulkCsvError(ValueError):
    """A file bulk verification cannot read, with the reason in words for the person who sent it."""


@dataclass(frozen=True)
class BulkRow:
    line: int
    name: str
    number: str


@dataclass(frozen=True)
class BulkResult:
    line: int
    name: str
    number: str
    result: str  # "found", "name mismatch", "not found" or "no number"
    entry: str = ""
    status: str = ""
    expires_on: dt.date | None = None
    url_number: str = ""  # the number as stored, for the verification URL
    kind: str = ""  # "credential" or "membership"


BULK_RESULT_COLUMNS = [
    "line",
    "name",
    "number",
    "result",
    "credential",
    "status",
    "expires_on",
    "verification_url",
]


def bulk_csv_parse(data: bytes, *, max_rows: int | None = None) -> list[BulkRow]:
    """The rows of an uploaded CSV with columns `name` and `number` (others are ignored).

    Raises BulkCsvError with the reason when the file is not UTF-8 text, has no such columns, has
    more than max_rows rows, or cannot be read as CSV. Blank lines are skipped.
    """
    max_rows = max_rows or _setting("OMBUDS_REGISTER_BULK_MAX_ROWS", 500)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BulkCsvError(
            "The file is not UTF-8 text. In a spreadsheet, save it as “CSV UTF-8” and try again."
        ) from exc
    if "\x00" in text:
        raise BulkCsvError("The file is not a CSV file (it holds binary data).")
    if not text.strip():
        raise BulkCsvError("The file is empty. Put a header row `name,number`, then one row each.")
    first_line = text.lstrip().splitlines()[0]
    # Spreadsheets in some languages save CSV with semicolons.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        names = [h.strip().lower() for h in header]
        missing = [c for c in ("name", "number") if c not in names]
        if missing:
            raise BulkCsvError(
                f"The first row must name the columns `name` and `number`; "
                f"{' and '.join(f'`{c}`' for c in missing)} {'is' if len(missing) == 1 else 'are'} "
                f"missing (found: {', '.join(h.strip() for h in header) or 'nothing'})."
            )
        name_at, number_at = names.index("name"), names.index("number")
        rows: list[BulkRow] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) == max_rows:
                raise BulkCsvError(
                    f"The file has more than {max_rows} rows; split it into files of at most "
                    f"{max_rows} rows."
                )

            def cell(i: int, cells=cells) -> str:
                return " ".join(cells[i].split())[:200] if i < len(cells) else ""

            rows.append(BulkRow(reader.line_num, cell(name_at), cell(number_at)))
    except csv.Error as exc:
        raise BulkCsvError(f"Line {reader.line_num} cannot be read as CSV: {exc}.") from exc
    if not rows:
        raise BulkCsvError("The file has a header row but no rows to check.")
    return rows


def _name_tokens(name: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^\w]+", " ", plain).split()


_AGENCY_SUFFIXES = {"llc", "inc", "ltd", "co", "corp", "corporation", "company", "the", "l", "p"}


def person_name_matches(given: str, family: str, written: str) -> bool:
    """The family name and at least one given name agree, in any order; case, accents and
    punctuation ignored ("Smith, Ann", "ann-marie smith" and "Ann Smith" all match Ann Marie Smith)."""
    words = set(_name_tokens(written))
    family_words, given_words = _name_tokens(family), _name_tokens(given)
    if not family_words or not set(family_words) <= words:
        return False
    return not given_words or bool(set(given_words) & words)


def agency_name_matches(names: list[str], written: str) -> bool:
    """The written name is the legal name or a trade name, ignoring "LLC", "Inc" and the like."""

    def core(n: str) -> list[str]:
        return [t for t in _name_tokens(n) if t not in _AGENCY_SUFFIXES]

    wanted = core(written)
    return bool(wanted) and any(core(n) == wanted for n in names)


def bulk_verify(organization: Organization, rows: list[BulkRow]) -> list[BulkResult]:
    """Each row's number looked up in the body's register (credentials, then memberships) and its name
    compared with the holder's. A name mismatch says nothing of the record it did not match.
    Three queries for up to 300 numbers (900 forms of them), whatever the register's size."""
    numbers = sorted({n for r in rows for n in number_variants(r.number)})
    credentials: dict[str, Credential] = {}
    memberships: dict[str, Membership] = {}
    programs = {p.pk: p for p in CredentialProgram.objects.filter(organization=organization)}
    # Below SQLite's 999 parameters per query.
    for start in range(0, len(numbers), 900):
        chunk = numbers[start : start + 900]
        for c in Credential.objects.filter(
            program_id__in=list(programs), number__in=chunk
        ).select_related("holder"):
            credentials.setdefault(c.number, c)
        for m in (
            _public_memberships(organization)
            .filter(number__in=chunk)
            .select_related("person", "agency", "membership_type")
        ):
            memberships.setdefault(m.number, m)
    results = []
    for row in rows:
        variants = number_variants(row.number)
        base = {"line": row.line, "name": row.name, "number": row.number}
        if not variants:
            results.append(BulkResult(**base, result="no number"))
            continue
        credential = next((credentials[n] for n in variants if n in credentials), None)
        membership = next((memberships[n] for n in variants if n in memberships), None)
        if credential is not None:
            matches = person_name_matches(
                credential.holder.given_name, credential.holder.family_name, row.name
            )
            details = {
                "entry": programs[credential.program_id].name,
                "status": credential.get_status_display(),
                "expires_on": credential.expires_on,
                "url_number": credential.number,
                "kind": "credential",
            }
        elif membership is not None:
            if membership.agency_id:
                agency = membership.agency
                matches = agency_name_matches(
                    [agency.legal_name, *(agency.trade_names or [])], row.name
                )
            else:
                matches = person_name_matches(
                    membership.person.given_name, membership.person.family_name, row.name
                )
            details = {
                "entry": membership.membership_type.name,
                "status": membership.get_status_display(),
                "expires_on": membership.renewal_date,
                "url_number": membership.number,
                "kind": "membership",
            }
        else:
            results.append(BulkResult(**base, result="not found"))
            continue
        if matches:
            results.append(BulkResult(**base, result="found", **details))
        else:
            results.append(BulkResult(**base, result="name mismatch"))
    return results


def csv_safe(value: str) -> str:
    """A cell a spreadsheet will show as text, not run as a formula (CSV injection)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value
