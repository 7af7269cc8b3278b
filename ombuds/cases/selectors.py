"""Every read of cases: the procedure a case follows, who may act on it, the facts the procedure
asks about, the staff inbox, the case page and its timeline.

Selectors return objects (or None) and raise the domain's own exceptions (`CaseRefused` when a body
has no procedure, `CaseNotFound` for a case the reader may not see); views turn these into their
answers (a page saying so, or 404). The services read through them too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from ombuds.audit.services import events_for
from ombuds.cases import hooks
from ombuds.cases.facts import facts, respondent_notified_among, respondent_records
from ombuds.cases.models import (
    Allegation,
    BodyProcedure,
    Case,
    CaseCount,
    CaseDeadline,
    Notice,
    ProcedureVersion,
    Recusal,
    SanctionChoice,
)
from ombuds.cases.procedure import (
    BODY_ROLES,
    Procedure,
    Transition,
    load,
    more_time_key,
    parse_date,
    shipped,
    text_sha256,
)
from ombuds.cases.rules import (
    CaseNotFound,
    CaseRefused,
)
from ombuds.codes.models import Provision
from ombuds.register.models import BodyRole, Credential, Membership, Organization

# --- procedures -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def shipped_procedures() -> dict[str, Procedure]:
    """The procedures Ombuds ships, by key (read once per process)."""
    return shipped()


# Versions a body installed, parsed once per process: a version's text never changes.
_PARSED: dict[str, Procedure] = {}


def procedure_from_text(text: str, *, source: str = "<installed procedure>") -> Procedure:
    """A stored version's text as a procedure (ProcedureInvalid when it is not one)."""
    sha = text_sha256(text)
    found = _PARSED.get(sha)
    if found is None:
        found = _PARSED[sha] = load(text, source=source)
    return found


def installed_procedures() -> dict[str, Procedure]:
    """Every procedure a case may run under: the shipped ones, by key, and each version a body
    installed, by its sha256."""
    found = dict(shipped_procedures())
    texts = ProcedureVersion.objects.filter(shipped=False).values_list("sha256", "text")
    for sha, text in texts.distinct():
        found[sha] = procedure_from_text(text)
    return found


def _by_sha(key: str, sha: str) -> Procedure | None:
    """The version ``sha`` of a procedure: parsed already, the shipped file, or a stored text."""
    if sha in _PARSED:
        return _PARSED[sha]
    ours = shipped_procedures().get(key)
    if ours is not None and ours.sha256 == sha:
        return ours
    text = ProcedureVersion.objects.filter(sha256=sha).values_list("text", flat=True).first()
    return procedure_from_text(text) if text is not None else None


def procedure_version_current(organization: Organization, key: str) -> ProcedureVersion | None:
    """The version of ``key`` the body installed last (None: it follows the shipped file)."""
    return (
        ProcedureVersion.objects.filter(organization=organization, key=key, shipped=False)
        .order_by("-number")
        .first()
    )


def procedure_of(case_or_org: Case | Organization, *, public: bool = True) -> Procedure:
    """The procedure a case follows (the version it was filed under), or a body's current one (the
    version it installed last, else the file Ombuds ships). With ``public`` (the public form and
    API), a body whose complaint form is closed has none; its own people still enter and work cases
    (``public=False``). Raises CaseRefused when there is none."""
    if isinstance(case_or_org, Case):
        key = case_or_org.procedure_key
        if case_or_org.procedure_sha256:
            found = _by_sha(key, case_or_org.procedure_sha256)
            if found is not None:
                return found
    else:
        # The body's choice and the sha of the version it installed last, in one query.
        installed = ProcedureVersion.objects.filter(
            organization=OuterRef("organization"), key=OuterRef("procedure_key"), shipped=False
        ).order_by("-number")
        chosen = (
            BodyProcedure.objects.filter(organization=case_or_org)
            .annotate(installed=Subquery(installed.values("sha256")[:1]))
            .first()
        )
        if chosen is None or (public and not chosen.taking_complaints):
            raise CaseRefused(f"{case_or_org.name} does not take complaints through Ombuds")
        key = chosen.procedure_key
        if chosen.installed:
            found = _by_sha(key, chosen.installed)
            if found is not None:
                return found
    try:
        return shipped_procedures()[key]
    except KeyError:
        raise CaseRefused(f"no procedure called {key!r} is installed") from None


def takes_complaints(organization: Organization) -> bool:
    """Whether the body's public complaint form is open (what ``procedure_of`` refuses otherwise)."""
    return BodyProcedure.objects.filter(organization=organization, taking_complaints=True).exists()


def bodies_taking_complaints() -> set[int]:
    """The ids of the bodies whose public complaint form is open, in one query."""
    return set(
        BodyProcedure.objects.filter(taking_complaints=True).values_list(
            "organization_id", flat=True
        )
    )


def procedure_versions(organization: Organization) -> list[tuple[ProcedureVersion, int, bool]]:
    """The body's procedure versions, each with how many of its cases run under it and whether
    its new cases are filed under it."""
    chosen = BodyProcedure.objects.filter(organization=organization).first()
    current = None
    if chosen is not None:
        installed = procedure_version_current(organization, chosen.procedure_key)
        ours = shipped_procedures().get(chosen.procedure_key)
        current = installed.sha256 if installed else (ours.sha256 if ours else None)
    counts = dict(
        Case.objects.filter(organization=organization)
        .values_list("procedure_sha256")
        .annotate(n=Count("pk"))
        .values_list("procedure_sha256", "n")
    )
    versions = ProcedureVersion.objects.filter(organization=organization).order_by("key", "number")
    latest = {v.key: v.pk for v in versions if v.sha256 == current}
    return [
        (v, counts.get(v.sha256, 0), latest.get(v.key) == v.pk and chosen.procedure_key == v.key)
        for v in versions
    ]


def body_procedure(organization: Organization) -> Procedure | None:
    """The procedure the body's cases follow, also while its public complaint form is closed (the
    cases already filed are still worked on); None when the body has none."""
    try:
        return procedure_of(organization, public=False)
    except CaseRefused:
        return None


def state_label(case: Case) -> str:
    """The label of the case's state in its procedure (its key when the procedure is gone)."""
    try:
        return procedure_of(case).state(case.state).label
    except Exception:  # CaseRefused, or a state the procedure no longer has (ProcedureRefused)
        return case.state


# --- who may do what ------------------------------------------------------------------------------


def roles_on_case(
    user: Any,
    case: Case,
    body_roles: set[str] | None = None,
    recused: set[int] | None = None,
) -> set[str]:
    """The body roles a user acts with on this case: none when recused (a declared conflict of
    interest, or being a party), so the case is hidden from them and they cannot act on it.
    ``body_roles``: the user's case roles on the case's body when the caller has read them
    (`roles_on_body`), not read again; ``recused``: the ids of the users recused from the case,
    likewise."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if recused is not None:
        if user.pk in recused:
            return set()
    elif Recusal.objects.filter(case=case, user=user).exists():
        return set()
    if body_roles is not None:
        return set(body_roles) & BODY_ROLES
    roles = set(
        BodyRole.objects.filter(user=user, organization_id=case.organization_id).values_list(
            "role", flat=True
        )
    )
    if user.is_superuser:
        roles |= {"administrator"}
    return roles & BODY_ROLES


def roles_on_body(user: Any, organization: Organization) -> set[str]:
    """The case roles a user holds on the body (a superuser acts as administrator): none means the
    body's cases are not theirs to see, through any door."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    roles = set(
        BodyRole.objects.filter(user=user, organization=organization).values_list("role", flat=True)
    )
    if user.is_superuser:
        roles |= {"administrator"}
    return roles & BODY_ROLES


def is_recused(user: Any, case: Case) -> bool:
    return Recusal.objects.filter(case=case, user_id=getattr(user, "pk", None)).exists()


# --- the facts the procedure asks about -----------------------------------------------------------


def running_deadlines(case: Case) -> dict[str, dt.date]:
    """The deadlines running on the case, by name, with their due dates (a request for more time
    waiting for a decision among them, under `more_time_key`): what the procedure's steps about
    more time ask about. A deadline waiting for its notice's delivery has not started: no more
    time is asked or granted on it."""
    return dict(
        case.deadlines.filter(
            met_at__isnull=True, expired_at__isnull=True, waits_for_delivery=False
        ).values_list("name", "due_on")
    )


def available_steps(case: Case, user: Any) -> list[Transition]:
    """The steps this user may take on the case now."""
    return procedure_of(case).available(
        case.state, roles_on_case(user, case), facts(case), running_deadlines(case)
    )


# --- the inbox ------------------------------------------------------------------------------------

INBOX_PAGE = 50
INBOX_SORTS = {"newest": "-filed_at", "oldest": "filed_at", "due": "next_due"}


def visible_cases(user: Any, organization: Organization) -> QuerySet[Case]:
    """The body's cases, without those the user is recused from."""
    recused = Recusal.objects.filter(case=OuterRef("pk"), user=user)
    return Case.objects.filter(organization=organization).exclude(Exists(recused))


@dataclass
class Inbox:
    procedure: Procedure | None
    cases: list[Case]  # this page's, each with state_label, next_due, is_overdue and to_deliver
    matching: int  # at most FILTER_COUNT_CAP + 1 when `matching_capped`
    states: list[tuple[str, str, int]]  # (key, label, how many cases)
    total: int
    open_total: int
    overdue_total: int  # at most INBOX_COUNT_CAP + 1: more than INBOX_COUNT_CAP is not exact
    to_deliver_total: int  # notices to the respondent waiting to be delivered by post or by hand
    state: str  # the state filter as understood ("" for none)
    sort: str
    matching_capped: bool = False  # more than FILTER_COUNT_CAP match: `matching` is not exact

    @property
    def overdue_figure(self) -> str:
        return capped_figure(self.overdue_total)


# Filters other than the state are counted up to this many (a count that stops there costs the
# same whatever the number of the body's cases); the state's counts are exact (`CaseCount`).
INBOX_COUNT_CAP = 1000
# The matches of a filter other than the state are counted up to this many + 1: finding them means
# probing cases until that many match (12,000 probes at a million cases for a provision one case in
# twelve cites, with the 1,000 cap: 100 ms), and past it the page only asks to narrow the filters.
FILTER_COUNT_CAP = 200


def capped_figure(n: int) -> str:
    """A count taken up to `INBOX_COUNT_CAP` + 1, as a page says it: "More than 1,000" past it."""
    return f"More than {INBOX_COUNT_CAP:,}" if n > INBOX_COUNT_CAP else str(n)


# The sealed fields the inbox does not show: neither read nor opened for its rows.
INBOX_UNSHOWN = (
    "complainant_name",
    "complainant_email",
    "complainant_phone",
    "respondent_details",
    "what_happened",
    "outcome_sought",
)

_TO_DELIVER = Q(recipient_role="respondent", status=Notice.Status.TO_DELIVER)


def _to_deliver_count() -> QuerySet[Notice]:
    """A case's notices to the respondent waiting to be delivered by other means, counted in the
    inbox's own query (a subquery, not a query per case)."""
    return (
        Notice.objects.filter(_TO_DELIVER, case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )


def case_counts(
    organizations: list[Organization], user: Any
) -> dict[int, dict[str, tuple[int, int]]]:
    """The cases the user may see, per body and state: (how many, how many open). The bodies'
    counts are kept by the services (`CaseCount`); those of the cases the user is recused from
    (few) are taken away, in the same query."""
    kept = CaseCount.objects.filter(organization__in=organizations).values_list(
        "organization_id", "state", "cases", "open"
    )
    recused = (
        Case.objects.filter(
            organization__in=organizations, recusals__user_id=getattr(user, "pk", None)
        )
        .order_by()
        .values("organization_id", "state")
        .annotate(
            n=-Count("pk", distinct=True),
            o=-Count("pk", distinct=True, filter=Q(closed_at__isnull=True)),
        )
        .values_list("organization_id", "state", "n", "o")
    )
    counts: dict[int, dict[str, tuple[int, int]]] = {}
    for organization_id, state, n, o in kept.union(recused, all=True):
        body = counts.setdefault(organization_id, {})
        was_n, was_o = body.get(state, (0, 0))
        body[state] = (was_n + n, was_o + o)
    return counts


def _counts_by_state(organization: Organization, user: Any) -> dict[str, tuple[int, int]]:
    return case_counts([organization], user).get(organization.pk, {})


def overdue_count(organization: Organization, user: Any, today: dt.date) -> int:
    """How many of the body's cases the user may see have an overdue deadline, counted up to
    `INBOX_COUNT_CAP` + 1 (more than the cap is not exact), through the index on `next_due`."""
    return _overdue_rows(visible_cases(user, organization), today).count()


def _overdue_rows(visible: QuerySet[Case], today: dt.date) -> QuerySet[Case]:
    """The visible cases with an overdue deadline, as many as a capped count reads (one past the
    cap), through the index on `next_due`."""
    return visible.filter(next_due__lt=today).order_by().values("pk")[: INBOX_COUNT_CAP + 1]


def _count(rows: QuerySet[Any]) -> Subquery:
    """How many rows, as a subquery of another query."""
    return Subquery(rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"))


def _overdue_and_to_deliver(
    organization: Organization, user: Any, visible: QuerySet[Case], today: dt.date
) -> tuple[int, int]:
    """The visible cases with an overdue deadline (counted up to `INBOX_COUNT_CAP` + 1, through
    the index on `next_due`), and the notices to the respondent on them to deliver by post or by
    hand (few, through their partial index), counted in one query."""
    recused = Recusal.objects.filter(case=OuterRef("case"), user_id=getattr(user, "pk", None))
    to_deliver = Notice.objects.filter(_TO_DELIVER, case__organization=OuterRef("pk")).exclude(
        Exists(recused)
    )
    sql, params = _overdue_rows(visible, today).query.sql_with_params()
    found = (
        Organization.objects.filter(pk=organization.pk)
        .annotate(
            overdue=RawSQL(f"SELECT COUNT(*) FROM ({sql}) overdue", params),
            to_deliver=_count(to_deliver),
        )
        .values_list("overdue", "to_deliver")
        .first()
    )
    return found or (0, 0)


def _inbox_page(cases: QuerySet[Case], sort: str, limit: int, today: dt.date) -> list[Case]:
    """The first `limit` cases in the order asked, each with what the inbox shows of it (and
    nothing it does not: the sealed fields are neither read nor opened)."""
    cases = (
        cases.annotate(to_deliver=Coalesce(Subquery(_to_deliver_count()), 0))
        .select_related("handler")
        .defer(*INBOX_UNSHOWN)
    )
    if sort == "due":
        cases = cases.order_by(F("next_due").asc(nulls_last=True), "-filed_at", "-pk")
    else:
        cases = cases.order_by(INBOX_SORTS[sort], "-pk")
    rows = list(cases[:limit])
    for case in rows:
        case.state_label = state_label(case)
        case.is_overdue = case.next_due is not None and case.next_due < today
    return rows


def _citing(cases: QuerySet[Case], organization: Organization, citation: str) -> QuerySet[Case]:
    """The cases with an allegation citing a provision of that citation (in any version of the
    body's code). The provisions are looked up first, so that the engine plans with their ids:
    asked by citation inside the subquery, it cannot tell a provision nobody cites from one a
    third of the cases cite, and at a million cases it read every case for the former (4 s)."""
    ids = list(
        Provision.objects.filter(
            version__code__organization=organization, citation__iexact=citation
        ).values_list("pk", flat=True)
    )
    if not ids:
        return cases.none()
    cited = Allegation.provisions.through.objects.filter(
        allegation__case=OuterRef("pk"), provision_id__in=ids
    )
    return cases.filter(Exists(cited))


def inbox(
    *,
    organization: Organization,
    user: Any,
    state: str = "",
    overdue: bool = False,
    mine: bool = False,
    respondent: str = "",
    provision: str = "",
    sort: str = "",
    limit: int = INBOX_PAGE,
) -> Inbox:
    """The body's cases the user may see, filtered and sorted, with the counts by state.

    The same few queries whatever the filters, each served by an index (`Case.Meta.indexes`), so
    its cost does not grow with the body's cases: the page of cases read in index order (the due
    date is the stored `Case.next_due`); the counts by state from `CaseCount`; the overdue cases
    (counted up to `INBOX_COUNT_CAP`) and notices to deliver counted by their indexes; a match
    count stopping at `FILTER_COUNT_CAP` for filters other than the state."""
    procedure = body_procedure(organization)
    states = dict(procedure.states) if procedure else {}
    today = timezone.localdate()
    visible = visible_cases(user, organization)
    cases = visible
    if state == "open":
        cases = cases.filter(closed_at__isnull=True)
    elif state in states:
        cases = cases.filter(state=state)
    else:
        state = ""
    if overdue:
        cases = cases.filter(next_due__lt=today)
    if mine:
        cases = cases.filter(handler=user)
    if respondent:
        cases = cases.filter(respondent_name__icontains=respondent)
    if provision:
        cases = _citing(cases, organization, provision)
    sort = sort if sort in INBOX_SORTS else "newest"
    counts = _counts_by_state(organization, user)
    total = sum(n for n, _ in counts.values())
    open_total = sum(o for _, o in counts.values())
    capped = False
    if overdue or mine or respondent or provision:
        matching = cases.order_by().values("pk")[: FILTER_COUNT_CAP + 1].count()
        capped = matching > FILTER_COUNT_CAP
    elif state == "open":
        matching = open_total
    elif state:
        matching = counts.get(state, (0, 0))[0]
    else:
        matching = total
    rows = _inbox_page(cases, sort, limit, today)
    overdue_total, to_deliver_total = _overdue_and_to_deliver(organization, user, visible, today)
    return Inbox(
        procedure=procedure,
        cases=rows,
        matching=matching,
        states=[(key, s.label, counts.get(key, (0, 0))[0]) for key, s in states.items()],
        total=total,
        open_total=open_total,
        overdue_total=overdue_total,
        to_deliver_total=to_deliver_total,
        state=state,
        sort=sort,
        matching_capped=capped,
    )


# --- the case page --------------------------------------------------------------------------------


def staff_case(
    *, organization: Organization, reference: str, user: Any, body_roles: set[str] | None = None
) -> tuple[Case, set[str]]:
    """The body's case and the user's roles on it (``body_roles``: their roles on the body, when
    read already). Raises CaseNotFound when there is none, or the user is recused from it (as if it
    did not exist)."""
    case = (
        Case.objects.select_related(
            "organization", "handler", "respondent_person", "respondent_agency", "code_version"
        )
        .filter(organization=organization, reference=reference)
        .first()
    )
    roles = set()
    if case is not None:
        # The recusals, read once: who may see the case, and the list the case page shows.
        prefetch_related_objects([case], _recusals())
        recused = {r.user_id for r in case.recusals.all()}
        roles = roles_on_case(user, case, body_roles, recused)
    if not roles:
        raise CaseNotFound(reference)
    return case, roles


def _recusals() -> Prefetch:
    return Prefetch("recusals", queryset=Recusal.objects.select_related("user"))


@dataclass
class CasePage:
    """What the staff case page shows, read once (the forms are the view's)."""

    case: Case
    roles: set[str]
    procedure: Procedure
    facts: dict[str, bool]
    deadlines: list[CaseDeadline]
    steps: list[Transition]
    notices: list[Notice]
    allegations: list[Allegation]
    provisions: QuerySet[Provision]
    recusal_candidates: QuerySet[Any]
    sanction_choice: SanctionChoice | None
    timeline: list[Any]
    more_time_requests: list[dict[str, Any]]
    credentials_memberships: tuple[list[Credential], list[Membership]]
    first_tier: list[Any]
    documents: QuerySet[Any] = field(repr=False, default=None)
    messages: QuerySet[Any] = field(repr=False, default=None)
    recusals: QuerySet[Any] = field(repr=False, default=None)

    @property
    def state(self):
        return self.procedure.state(self.case.state)

    @property
    def respondent_notified(self) -> bool:
        """Whether any notice went to the respondent (what the page offers messages on)."""
        return any(n.recipient_role == "respondent" for n in self.notices)

    @property
    def running_deadlines(self) -> list[CaseDeadline]:
        return [d for d in self.deadlines if d.running]


def case_page(case: Case, roles: set[str]) -> CasePage:
    """Everything the staff case page reads about a case, for a viewer with these roles (a fixed
    number of queries, whatever the case holds)."""
    procedure = procedure_of(case)
    deadlines = list(case.deadlines.all())
    notices = list(case.notices.all())
    allegations = list(
        case.allegations.prefetch_related("provisions").select_related("determined_by")
    )
    choice = SanctionChoice.objects.select_related("sanction").filter(case=case).first()
    records = respondent_records(case)
    case_facts = facts(  # from what the page reads anyway, not read again
        case,
        determinations=[a.determination for a in allegations],
        records=records,
        notified=respondent_notified_among(notices),
        sanction_chosen=choice is not None and choice.sanction_id is None,
    )
    running = {d.name: d.due_on for d in deadlines if d.running and not d.waits_for_delivery}
    steps = procedure.available(case.state, roles, case_facts, running)
    provisions = (
        case.code_version.provisions.exclude(citation="").order_by("position")
        if case.code_version
        else Provision.objects.none()
    )
    people = BodyRole.objects.filter(organization_id=case.organization_id).values_list(
        "user", flat=True
    )
    timeline = case_timeline(case)
    source = hooks.proof_of_efforts()
    prefetch_related_objects([case], _recusals())  # read already by `staff_case`
    return CasePage(
        case=case,
        roles=roles,
        procedure=procedure,
        facts=case_facts,
        deadlines=deadlines,
        steps=steps,
        notices=notices,
        allegations=allegations,
        provisions=provisions,
        recusal_candidates=get_user_model().objects.filter(pk__in=people).order_by("username"),
        sanction_choice=choice,
        timeline=timeline,
        more_time_requests=more_time_requests(procedure, deadlines, timeline),
        credentials_memberships=records,
        first_tier=source.for_case(case) if source is not None else [],
        documents=case.documents.all(),
        messages=case.messages.all(),
        recusals=case.recusals.all(),
    )


def more_time_requests(procedure: Procedure, deadlines: list, events: list) -> list[dict]:
    """The requests for more time waiting for a decision: for which deadline, who asked and when,
    and what they gave (from the step's event: the date asked for, the reason), with the date the
    deadline is due now; unless someone decides before then, the request lapses with it."""
    running = {d.name: d for d in deadlines if d.running}
    asking: dict[str, set[str]] = {}
    for t in procedure.transitions:
        if t.more_time is not None and t.more_time.action == "ask":
            asking.setdefault(t.more_time.deadline, set()).add(t.name)
    requests = []
    for name, steps in asking.items():
        waiting = running.get(more_time_key(name))
        if waiting is None:
            continue
        event = next(
            (
                e
                for e in reversed(events)
                if e.action == "case.step" and e.data.get("step") in steps
            ),
            None,
        )
        requests.append(
            {
                "deadline": procedure.deadlines[name].label,
                "due_on": running[name].due_on if name in running else waiting.due_on,
                "who": event.actor_label if event else "",
                "on": event.occurred_at if event else None,
                "since": waiting.starts_on,
                "inputs": _given(procedure, event),
            }
        )
    return requests


def _given(procedure: Procedure, event: Any) -> list[tuple[str, Any, str]]:
    """What a request's step was given, as (label, value, kind), dates read as dates."""
    if event is None:
        return []
    step = procedure.transition(event.data["step"])
    given = event.data.get("inputs", {})
    return [
        (i.label, parse_date(given[i.name]) or given[i.name], i.kind)
        if i.kind == "date"
        else (i.label, given[i.name], i.kind)
        for i in step.inputs
        if i.kind != "document" and given.get(i.name)
    ]


# --- the timeline ---------------------------------------------------------------------------------

# How the timeline names each kind of event (any other: its action, in words).
TIMELINE_LABELS = {
    "case.first_tier_attached": "Complaint to the agency first attached (proof of efforts)",
    "case.filed": "Complaint filed",
    "case.message": "Note or message",
    "case.document_added": "Document added",
    "case.document_viewed": "Document opened",
    "case.allegation_added": "Allegation added",
    "case.determination": "Allegation decided",
    "case.sanction_chosen": "Sanction chosen",
    "case.recusal": "Recusal recorded",
    "case.handler": "Handler set",
    "case.respondent_answered": "The respondent answered",
    "case.respondent_link_sent": "New link sent to the respondent",
    "case.deadline_passed": "Deadline passed",
    "case.deadline_moved": "Deadline moved",
}


def case_timeline(case: Case) -> list:
    """The case's audit events, oldest first, each with a ``label`` in words."""
    events = events_for("case", case.pk)
    for e in events:
        if e.action == "case.step":
            e.label = f"{e.data.get('label', '')} ({e.data.get('from')} → {e.data.get('to')})"
        elif e.action == "case.deadline_moved":
            e.label = (
                f"Deadline moved: {e.data.get('label', '')}, due {e.data.get('from')} → "
                f"{e.data.get('to')}"
            )
        else:
            words = e.action.removeprefix("case.").replace("_", " ")
            e.label = TIMELINE_LABELS.get(e.action, words[:1].upper() + words[1:])
    return events
