"""Who the case is about: the respondent linked to the register, relinked to another entry, or
unlinked (named only), by the case's handlers with a reason, on the record; and the register
entries a complaint's name may mean, suggested on filing (`suggestions_store`).

What a change of respondent does, and when it is refused (`respondent_link`):

- refused on a closed case, once an allegation has been decided (it was decided about the
  respondent as linked), and once a sanction of the case was imposed on the register;
- allowed after the respondent was notified, with a warning: the new respondent has not been told
  (the handler sends them the latest notice with "Send the respondent a new link"), and the old
  respondent's personal links stop working at once, so they no longer read the case; a notice to
  the old respondent still waiting to be sent is not sent;
- the procedure's facts (is the respondent a member) are read again, and the change says which
  steps it opened and closed;
- the body's people who are the new respondent (by the register's email) are recused from the case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.cases.facts import facts, respondent_notice_made, respondent_records
from ombuds.cases.models import Case, Notice, RespondentLink, RespondentSuggestion, SanctionChoice
from ombuds.cases.procedure import BODY_ROLES
from ombuds.cases.rules import HANDLERS, CaseRefused
from ombuds.cases.selectors import procedure_of, running_deadlines
from ombuds.cases.services.access import recuse_parties
from ombuds.cases.services.base import (
    bump,
    lock_case,
    record_event,
    refuse_when_closed,
    staff_roles,
)
from ombuds.cases.services.register_bridge import respondent_suggest
from ombuds.register.matching import Candidate, candidates_of
from ombuds.register.models import Agency, Person

REASON_MAX = 1000


@dataclass(frozen=True)
class Relinked:
    """What a change of respondent did: the case as it is now, the steps of the procedure it
    opened and closed (their labels), and what the handler must know (the new respondent not
    notified, links revoked)."""

    case: Case
    opened: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """The change in words, for the page's message and the command line."""
        linked = self.case.respondent_person or self.case.respondent_agency
        said = [
            f"The respondent is now {linked} (in the register)."
            if linked is not None
            else f"The respondent is now {self.case.respondent_name}, not linked to the register."
        ]
        if self.opened:
            said.append("Steps now open: " + "; ".join(self.opened) + ".")
        if self.closed:
            said.append("No longer open: " + "; ".join(self.closed) + ".")
        if not self.opened and not self.closed:
            said.append("The steps open did not change.")
        return " ".join(said + self.warnings)


def _record_label(record: Person | Agency | None) -> dict[str, Any] | None:
    if record is None:
        return None
    kind = "person" if isinstance(record, Person) else "agency"
    return {"kind": kind, "id": record.pk, "name": str(record)}


def _open_steps(case: Case) -> list[tuple[str, str]]:
    """The steps open on the case to the body's people, whoever takes them: (name, label)."""
    available = procedure_of(case).available(
        case.state, BODY_ROLES, facts(case), running_deadlines(case)
    )
    return [(t.name, t.label) for t in available]


def _refuse_relink(case: Case, person: Person | None, agency: Agency | None) -> None:
    """CaseRefused when the respondent may not change now, or not to this record."""
    problems = []
    if person is not None and agency is not None:
        problems.append("link the respondent to one person or one agency, not both")
    for record in (person, agency):
        if record is not None and record.organization_id != case.organization_id:
            problems.append(f"{record} is in another body's register")
    if person is not None and person.pk == case.respondent_person_id:
        problems.append(f"{person} is already the respondent")
    if agency is not None and agency.pk == case.respondent_agency_id:
        problems.append(f"{agency} is already the respondent")
    if (
        person is None
        and agency is None
        and not (case.respondent_person_id or case.respondent_agency_id)
    ):
        problems.append("the respondent is not linked to the register")
    if SanctionChoice.objects.filter(case=case, sanction__isnull=False).exists():
        problems.append(
            "a sanction of this case was imposed on the register: the respondent no longer changes"
        )
    elif case.allegations.exclude(determination="pending").exists():
        problems.append(
            "allegations were decided about the respondent as linked: the respondent no longer "
            "changes"
        )
    if problems:
        raise CaseRefused(problems)


def respondent_link(
    *,
    case: Case,
    person: Person | None = None,
    agency: Agency | None = None,
    reason: str,
    acting_user: Any,
    expected_version: int | None,
) -> Relinked:
    """Link the case's respondent to a person (with their credentials and memberships) or an
    agency of the body's register, relink it to another, or unlink it (neither given): by a
    handler, with a reason, locked, refused when stale (`CaseChanged`), on the record in the same
    transaction. The old respondent's personal links stop working. Raises CaseRefused with every
    reason, changing nothing."""
    reason = " ".join(reason.split())
    with transaction.atomic():
        case = lock_case(case, expected_version)
        staff_roles(acting_user, case, HANDLERS)
        refuse_when_closed(case)
        problems = []
        if not reason:
            problems.append("give the reason for the change (it goes on the record)")
        elif len(reason) > REASON_MAX:
            problems.append(f"keep the reason under {REASON_MAX} characters")
        try:
            _refuse_relink(case, person, agency)
        except CaseRefused as exc:
            problems.extend(exc.problems)
        if problems:
            raise CaseRefused(problems)
        before = _open_steps(case)
        notified = respondent_notice_made(case)
        old = case.respondent_person or case.respondent_agency
        record = person or agency
        case.respondent_person, case.respondent_agency = person, agency
        if record is not None:
            case.respondent_name = str(record)[:300]
            case.respondent_email = (record.email or "").strip()
        elif old is not None and case.respondent_email == (old.email or "").strip():
            case.respondent_email = ""  # the register's address was the old record's
        revoked, withheld = _old_respondent_cut_off(case)
        bump(case, "respondent_person", "respondent_agency", "respondent_name", "respondent_email")
        recused = recuse_parties(case, acting_user=acting_user)
        after = _open_steps(case)
        opened = [label for name, label in after if (name, label) not in before]
        closed = [label for name, label in before if (name, label) not in after]
        record_event(
            case,
            "case.respondent_linked" if record is not None else "case.respondent_unlinked",
            {
                "from": _record_label(old),
                "to": _record_label(record),
                "reason": reason,
                "respondent_is_member": bool(any(respondent_records(case))),
                "steps_opened": opened,
                "steps_closed": closed,
                "links_revoked": revoked,
                "notices_withheld": withheld,
                "notified_before": notified,
                "recused": recused,
            },
            user=acting_user,
            label="",
        )
    warnings = []
    if notified:
        warnings.append(
            "The new respondent has not been notified of the complaint: send them the latest "
            "notice with “Send the respondent a new link”."
        )
    if revoked:
        warnings.append("The previous respondent's personal links no longer work.")
    if withheld:
        warnings.append("A notice still waiting to go to the previous respondent was not sent.")
    return Relinked(case=case, opened=opened, closed=closed, warnings=warnings)


def _old_respondent_cut_off(case: Case) -> tuple[int, int]:
    """The previous respondent's personal links revoked, and the notices to them not yet sent
    withheld (they carry a link and the allegations): (links revoked, notices withheld)."""
    now = timezone.now()
    revoked = RespondentLink.objects.filter(case=case, revoked_at__isnull=True).update(
        revoked_at=now
    )
    withheld = Notice.objects.filter(
        case=case, recipient_role="respondent", status=Notice.Status.PENDING
    ).update(
        status=Notice.Status.FAILED,
        link_token="",
        last_error="Not sent: the respondent was changed before it went.",
        updated_at=now,
    )
    return revoked, withheld


def suggestions_store(case: Case, *, place: str = "") -> list[RespondentSuggestion]:
    """On filing (inside its transaction): the register entries the respondent, named without a
    number, may be, kept on the case for the body's people (ids and score only)."""
    return RespondentSuggestion.objects.bulk_create(
        [
            RespondentSuggestion(
                case=case,
                person=m.record if isinstance(m.record, Person) else None,
                agency=m.record if isinstance(m.record, Agency) else None,
                score=m.score,
            )
            for m in respondent_suggest(case, place=place)
        ]
    )


def respondent_suggestions(case: Case) -> list[Candidate]:
    """The register entries suggested on filing, with what each holds, but not the respondent as
    linked now: for the body's people only (three queries)."""
    suggested = case.respondent_suggestions.select_related("person", "agency")
    records = [
        s.person or s.agency
        for s in suggested
        if not (
            (s.person_id and s.person_id == case.respondent_person_id)
            or (s.agency_id and s.agency_id == case.respondent_agency_id)
        )
    ]
    return candidates_of(records)
