"""What the case decides: allegations (the complainant's, and those the investigation finds), the
committee's determination of each, and the sanction it chooses from the body's ladder (imposed on
the register by the procedure's step, `ombuds.cases.services.register_bridge`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.cases.facts import respondent_notice_made
from ombuds.cases.models import Allegation, AllegationRevision, Case, SanctionChoice
from ombuds.cases.rules import DECIDERS, HANDLERS, CaseRefused
from ombuds.cases.selectors import procedure_of
from ombuds.cases.services.base import (
    account,
    bump,
    lock_case,
    record_event,
    refuse_when_closed,
    staff_roles,
)
from ombuds.cases.services.deadlines import added_answer_deadline_start
from ombuds.cases.services.notifications import notices_make, notifies_respondent_first
from ombuds.cases.services.register_bridge import (
    CONDITION_SANCTIONS,
    register_problem,
    register_record,
)
from ombuds.register.models import Sanction

ALLEGATION_SOURCES = ("complainant", "staff", "non-cooperation")
# How many days before today a sanction may take effect from: a decision taken at a meeting a few
# days ago, recorded now. Further back, the register would show a past it never showed.
SANCTION_BACKDATE_DAYS = 7


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


def is_verbatim(text: str, narrative: str) -> bool:
    """Whether an allegation's text still holds the complainant's whole narrative word for word
    (spacing and case aside)."""
    words = _words(narrative)
    return bool(words) and words in _words(text)


def identity_withheld(case: Case) -> bool:
    """Whether the respondent may not learn who complained (anonymous, or no consent)."""
    return case.anonymous or not case.consent_to_share


def verbatim_allegations(case: Case) -> list[int]:
    """The positions of the allegations that are still the narrative of a complainant who does not
    share their identity: what the step notifying the respondent refuses unless confirmed."""
    if not identity_withheld(case):
        return []
    return list(case.allegations.filter(verbatim=True).values_list("position", flat=True))


def verbatim_release(case: Case, transition: Any, confirm_reason: str = "") -> dict[str, Any]:
    """Call before a step's effects: CaseRefused when the step would first notify the respondent
    while an allegation is still the narrative of a complainant who does not share their identity,
    unless a handler confirms sending it with a reason. What the step's event records of that
    confirmation ({} when none was needed)."""
    if not notifies_respondent_first(case, transition):
        return {}
    positions = verbatim_allegations(case)
    if not positions:
        return {}
    if not confirm_reason.strip():
        many = len(positions) > 1
        raise CaseRefused(
            f"allegation{'s' if many else ''} {', '.join(map(str, positions))} "
            f"{'are' if many else 'is'} still the complainant's own account word for word, and "
            "the complainant does not share their identity with the respondent: edit "
            f"{'them' if many else 'it'} first, or confirm sending {'them' if many else 'it'} as "
            f"{'they are' if many else 'it is'} with a reason"
        )
    return {"verbatim confirmed": {"allegations": positions, "reason": confirm_reason.strip()}}


def _check_provisions(case: Case, provisions: list) -> None:
    for provision in provisions:
        if case.code_version_id is None or provision.version_id != case.code_version_id:
            raise CaseRefused(
                f"{provision.citation} is not in the version of the code the case was filed under"
            )


def allegation_add(
    *,
    case: Case,
    summary: str,
    provisions: list,
    source: str = "staff",
    acting_user: Any = None,
    expected_version: int | None = None,
) -> Allegation:
    """Add an allegation citing provisions of the code version the case was filed under; its
    source is "staff" (found in the investigation) or "non-cooperation". Once the respondent has
    been made a notice of the complaint, they are told of the new allegation (notice
    "allegations_added", with their link) and given an answer deadline of its own, like the
    procedure's answer deadline (``[case] answer_deadline``), counting from that notice's delivery
    when that deadline counts from delivery."""
    if source not in ALLEGATION_SOURCES:
        raise CaseRefused(f"the source is one of {', '.join(ALLEGATION_SOURCES)}, not {source!r}")
    with transaction.atomic():
        case = lock_case(case, expected_version)
        staff_roles(acting_user, case, HANDLERS | DECIDERS)
        refuse_when_closed(case)
        if not summary.strip():
            raise CaseRefused("say what the allegation is")
        _check_provisions(case, provisions)
        verbatim = is_verbatim(summary, case.what_happened)
        if verbatim and identity_withheld(case) and respondent_notice_made(case):
            raise CaseRefused(
                "this is the complainant's own account word for word, and the respondent, already "
                "notified, would read it: draft the allegation in the body's words"
            )
        position = (
            case.allegations.order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
        allegation = Allegation.objects.create(
            case=case,
            position=position,
            summary=summary.strip(),
            source=source,
            verbatim=verbatim,
        )
        allegation.provisions.set(provisions)
        told = _tell_respondent_of_added(case, position)
        bump(case)
        record_event(
            case,
            "case.allegation_added",
            {
                "allegation": position,
                "summary": allegation.summary,
                "provisions": [p.citation for p in provisions],
                "source": source,
                **told,
            },
            user=acting_user,
            label="",
        )
    return allegation


def _tell_respondent_of_added(case: Case, position: int) -> dict[str, Any]:
    """An allegation added after the respondent was made a notice of the complaint: its answer
    deadline (before the notice, so that it waits for the notice's delivery) and the notice. What
    was done, for the event ({} before the respondent was notified)."""
    if not respondent_notice_made(case):
        return {}
    deadline = added_answer_deadline_start(case, procedure_of(case), [position])
    notices = notices_make(case, "allegations_added", "respondent", inputs={"added": str(position)})
    return {
        "notices": [f"{n.template} → {n.recipient_role}" for n in notices],
        "deadline": deadline.name if deadline is not None else "",
    }


def allegation_edit(
    *,
    case: Case,
    allegation: Allegation,
    text: str,
    provisions: list,
    expected_version: int | None,
    acting_user: Any = None,
) -> Allegation:
    """Draft, edit or redact an allegation, and the provisions it cites, until the respondent is
    notified of the complaint (refused after: they have read it). The old and new text are kept for
    the body (`AllegationRevision`) and the edit is on the record. An allegation that still holds
    the complainant's narrative word for word stays marked as such (`verbatim`)."""
    text = text.strip()
    provisions = list(provisions)
    with transaction.atomic():
        case = lock_case(case, expected_version)
        staff_roles(acting_user, case, HANDLERS | DECIDERS)
        refuse_when_closed(case)
        if respondent_notice_made(case):
            raise CaseRefused(
                "the respondent has been notified of these allegations: they are no longer "
                "edited (add another allegation if the case needs one)"
            )
        current = Allegation.objects.select_for_update().filter(pk=allegation.pk, case=case).first()
        if current is None:
            raise CaseRefused("there is no such allegation on this case")
        if not text:
            raise CaseRefused("say what the allegation is")
        _check_provisions(case, provisions)
        old_citations = [p.citation for p in current.provisions.order_by("position")]
        new_citations = [p.citation for p in sorted(provisions, key=lambda p: p.position)]
        if text == current.summary and old_citations == new_citations:
            raise CaseRefused("the allegation is unchanged")
        old_text = current.summary
        current.summary = text
        current.verbatim = is_verbatim(text, case.what_happened)
        current.save(update_fields=["summary", "verbatim", "updated_at"])
        current.provisions.set(provisions)
        AllegationRevision.objects.create(
            allegation=current,
            old_summary=old_text,
            new_summary=text,
            old_provisions=old_citations,
            new_provisions=new_citations,
            edited_by=account(acting_user),
        )
        bump(case)
        record_event(
            case,
            "case.allegation_edited",
            {
                "allegation": current.position,
                "old": old_text,
                "new": text,
                "old provisions": old_citations,
                "new provisions": new_citations,
                "verbatim": current.verbatim,
            },
            user=acting_user,
            label="",
        )
    return current


def determination_record(
    *,
    allegation: Allegation,
    determination: str,
    reasons: str,
    acting_user: Any = None,
    expected_version: int | None = None,
) -> Allegation:
    """Decide one allegation, upheld or not upheld, with reasons (the committee, in its state)."""
    with transaction.atomic():
        case = lock_case(allegation.case, expected_version)
        staff_roles(acting_user, case, DECIDERS)
        if not procedure_of(case).takes_determinations(case.state):
            raise CaseRefused("allegations are decided while the case is before the committee")
        if determination not in (
            Allegation.Determination.UPHELD,
            Allegation.Determination.NOT_UPHELD,
        ):
            raise CaseRefused("the determination is upheld or not upheld")
        if not reasons.strip():
            raise CaseRefused("give the reasons for the determination")
        allegation = Allegation.objects.select_for_update().get(pk=allegation.pk)
        allegation.determination = determination
        allegation.reasons = reasons.strip()
        allegation.determined_by = account(acting_user)
        allegation.determined_at = timezone.now()
        allegation.save()
        bump(case)
        record_event(
            case,
            "case.determination",
            {
                "allegation": allegation.position,
                "determination": determination,
                "reasons": allegation.reasons,
            },
            user=acting_user,
            label="",
        )
    return allegation


def sanction_choose(
    *,
    case: Case,
    kind: str,
    summary: str,
    effective_from: dt.date | None = None,
    effective_until: dt.date | None = None,
    publication: str,
    public_until: dt.date | None = None,
    conditions: str = "",
    amount: Decimal | None = None,
    currency: str = "",
    due_on: dt.date | None = None,
    provisions: list | None = None,
    acting_user: Any = None,
    expected_version: int | None = None,
) -> SanctionChoice:
    """The sanction the committee decides, from the body's ladder; imposed by the procedure's step.
    It takes effect on ``effective_from`` (today when not given; a later date is kept, scheduled,
    and applied on its day; at most SANCTION_BACKDATE_DAYS before today). Probation and
    conditions carry their text; a fine its amount, currency and due date. A sanction that changes
    the register is refused when the respondent's record cannot take it. Choosing again after one
    was imposed (an appeal sent the case back) replaces the choice; the register keeps the
    sanction imposed before (lifted, when the appeal lifted it), and the event names it."""
    effective_from = effective_from or timezone.localdate()
    currency = currency.strip().upper()
    problems = _sanction_problems(
        kind=kind,
        summary=summary,
        effective_from=effective_from,
        effective_until=effective_until,
        publication=publication,
        public_until=public_until,
        conditions=conditions,
    ) + _fine_problems(kind=kind, amount=amount, currency=currency, due_on=due_on)
    if problems:
        raise CaseRefused(problems)
    provisions = list(provisions or [])
    with transaction.atomic():
        case = lock_case(case, expected_version)
        staff_roles(acting_user, case, DECIDERS)
        if not procedure_of(case).takes_sanction(case.state):
            raise CaseRefused("a sanction is chosen once allegations are upheld")
        problem = register_problem(kind, register_record(case))
        if problem:
            raise CaseRefused(problem)
        for provision in provisions:
            if provision.version_id != case.code_version_id:
                raise CaseRefused(f"{provision.citation} is not in the case's version of the code")
        earlier = SanctionChoice.objects.filter(case=case).values_list("sanction_id", flat=True)
        replaces = next(iter(earlier), None)
        choice, _ = SanctionChoice.objects.update_or_create(
            case=case,
            defaults={
                "kind": kind,
                "summary": summary.strip(),
                "effective_from": effective_from,
                "effective_until": effective_until,
                "publication": publication,
                "public_until": public_until,
                "conditions": conditions.strip(),
                "amount": amount if kind == "fine" else None,
                "currency": currency if kind == "fine" else "",
                "due_on": due_on if kind == "fine" else None,
                "chosen_by": account(acting_user),
                "sanction": None,
            },
        )
        choice.provisions.set(provisions)
        bump(case)
        record_event(
            case,
            "case.sanction_chosen",
            _chosen(choice, provisions, replaces),
            user=acting_user,
            label="",
        )
    return choice


def _chosen(choice: SanctionChoice, provisions: list, replaces: int | None) -> dict[str, Any]:
    """What the event of a sanction chosen records."""
    return {
        "kind": choice.kind,
        "from": choice.effective_from,
        "until": choice.effective_until,
        "publication": choice.publication,
        "provisions": [p.citation for p in provisions],
        **({"conditions": choice.conditions} if choice.conditions else {}),
        **(
            {"fine": f"{choice.amount} {choice.currency}", "due": choice.due_on}
            if choice.kind == "fine"
            else {}
        ),
        **({"replaces register sanction": replaces} if replaces else {}),
    }


def _sanction_problems(
    *,
    kind: str,
    summary: str,
    effective_from: dt.date,
    effective_until: dt.date | None,
    publication: str,
    public_until: dt.date | None,
    conditions: str,
) -> list[str]:
    """Every problem with a sanction as chosen, before looking at the case."""
    problems = []
    if kind not in Sanction.Kind.values:
        problems.append(f"choose a sanction from the ladder, not {kind!r}")
    if publication not in Sanction.Publication.values:
        problems.append("choose how the sanction is published")
    if publication == Sanction.Publication.PUBLIC_UNTIL and not public_until:
        problems.append("give the date until which the sanction is public")
    if not summary.strip():
        problems.append("summarise the sanction (shown publicly when it is public)")
    if kind == "suspension" and not effective_until:
        problems.append("a suspension needs its end date")
    if kind in CONDITION_SANCTIONS and not conditions.strip():
        problems.append("say what the conditions are")
    if effective_until and effective_until <= effective_from:
        problems.append("the sanction must end after it starts")
    earliest = timezone.localdate() - dt.timedelta(days=SANCTION_BACKDATE_DAYS)
    if effective_from < earliest:
        problems.append(
            f"a sanction takes effect from today or a later date (at the earliest "
            f"{earliest.day} {earliest:%B %Y}, {SANCTION_BACKDATE_DAYS} days ago, for a decision taken "
            "then), not from a date further in the past"
        )
    return problems


def _fine_problems(
    *, kind: str, amount: Decimal | None, currency: str, due_on: dt.date | None
) -> list[str]:
    """A fine's amount, currency and due date; only a fine has them."""
    if kind != "fine":
        if amount is not None or due_on is not None:
            return ["only a fine has an amount and a due date"]
        return []
    problems = []
    if amount is None or amount <= 0:
        problems.append("give the fine's amount (more than 0)")
    elif amount != amount.quantize(Decimal("0.01")) or amount >= Decimal("1e10"):
        problems.append("give the fine's amount in units and cents, under 10,000,000,000")
    if not (len(currency) == 3 and currency.isalpha() and currency.isascii()):
        problems.append("give the fine's currency as a three-letter code (USD, EUR)")
    if due_on is None:
        problems.append("give the date the fine is due")
    elif due_on < timezone.localdate():
        problems.append("the fine cannot be due in the past")
    return problems
