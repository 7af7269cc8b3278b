"""The facts a procedure's conditions ask about a case, one registered function each.

A procedure file may only name the facts in `ombuds.cases.procedure.FACTS` (its checker refuses
others), and `fact` refuses to register a function under any other name; a test and the system
check `ombuds.E101` hold that every declared fact has its function. So the checker and the engine
cannot drift apart: adding a fact means declaring it there and writing it here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from django.core import checks

from ombuds.cases.models import Allegation, Case, Notice, SanctionChoice
from ombuds.cases.procedure import FACTS
from ombuds.cases.rules import LIVE_CREDENTIAL, LIVE_MEMBERSHIP, PROCEDURE_LINK_TEMPLATES
from ombuds.register.models import Credential, Membership


class Asked:
    """A case as the facts ask about it, once: what several facts read is read a single time.

    ``known`` gives answers the caller has read already (the staff case page reads the case's
    allegations, notices and sanction choice for itself), by the names of the properties below:
    those are not read again."""

    def __init__(self, case: Case, **known):
        self.case = case
        unknown = set(known) - {"determinations", "records", "notified", "sanction_chosen"}
        if unknown:
            raise TypeError(f"Asked does not take {sorted(unknown)}")
        self.__dict__.update(known)

    @cached_property
    def determinations(self) -> list[str]:
        return list(self.case.allegations.values_list("determination", flat=True))

    @cached_property
    def records(self) -> tuple[list[Credential], list[Membership]]:
        return respondent_records(self.case)

    @cached_property
    def notified(self) -> bool:
        return respondent_notified(self.case)

    @cached_property
    def sanction_chosen(self) -> bool:
        # A choice already imposed (before an appeal sent the case back) is not one to impose.
        return SanctionChoice.objects.filter(case=self.case, sanction__isnull=True).exists()


Fact = Callable[[Asked], bool]
REGISTRY: dict[str, Fact] = {}


def fact(name: str) -> Callable[[Fact], Fact]:
    """Register the function that answers the fact ``name`` for a case."""
    if name not in FACTS:
        raise ValueError(f"{name!r} is not a fact procedures may ask about (procedure.FACTS)")
    if name in REGISTRY:
        raise ValueError(f"the fact {name!r} is registered twice")

    def register(function: Fact) -> Fact:
        REGISTRY[name] = function
        return function

    return register


def facts(case: Case, **known) -> dict[str, bool]:
    """What the procedure's conditions ask about the case, as it stands (``known``: what the
    caller has read already, as `Asked` takes it)."""
    asked = Asked(case, **known)
    return {name: bool(answer(asked)) for name, answer in REGISTRY.items()}


@checks.register()
def every_fact_answered(app_configs, **kwargs) -> list[checks.CheckMessage]:
    missing = sorted(set(FACTS) - set(REGISTRY))
    return [
        checks.Error(f"no function answers the fact {name!r}", id="ombuds.E101") for name in missing
    ]


# --- the respondent -------------------------------------------------------------------------------


def respondent_records(case: Case) -> tuple[list[Credential], list[Membership]]:
    """The respondent's credentials and memberships with this body that the code binds."""
    credentials: list[Credential] = []
    memberships: list[Membership] = []
    if case.respondent_person_id:
        credentials = list(
            Credential.objects.filter(
                holder_id=case.respondent_person_id,
                program__organization_id=case.organization_id,
                status__in=LIVE_CREDENTIAL,
            ).select_related("program")
        )
        memberships = list(
            Membership.objects.filter(
                person_id=case.respondent_person_id,
                organization_id=case.organization_id,
                status__in=LIVE_MEMBERSHIP,
            )
        )
    elif case.respondent_agency_id:
        memberships = list(
            Membership.objects.filter(
                agency_id=case.respondent_agency_id,
                organization_id=case.organization_id,
                status__in=LIVE_MEMBERSHIP,
            )
        )
    return credentials, memberships


# A notice is delivered when the outbox has sent it by email, or staff recorded its delivery by
# post or by hand (`ombuds.cases.services.deliveries`).
DELIVERED = (Notice.Status.SENT, Notice.Status.DELIVERED)


def respondent_notice_made(case: Case) -> bool:
    """Whether the procedure has made the respondent a notice of the complaint (one with their
    link), delivered or not: from then on, what it told them of the allegations stands."""
    return case.notices.filter(
        recipient_role="respondent", template__in=PROCEDURE_LINK_TEMPLATES
    ).exists()


def respondent_notified(case: Case) -> bool:
    """Whether the respondent has been told of the complaint: a notice with their link delivered
    (sent by email, or its delivery by post or by hand recorded). A notice merely made is not."""
    return case.notices.filter(
        recipient_role="respondent", template__in=PROCEDURE_LINK_TEMPLATES, status__in=DELIVERED
    ).exists()


def respondent_notified_among(notices: list[Notice]) -> bool:
    """`respondent_notified`, answered from the case's notices read already (all of them)."""
    return any(
        n.recipient_role == "respondent"
        and n.template in PROCEDURE_LINK_TEMPLATES
        and n.status in DELIVERED
        for n in notices
    )


@fact("respondent_is_member")
def _respondent_is_member(asked: Asked) -> bool:
    credentials, memberships = asked.records
    return bool(credentials or memberships)


@fact("respondent_notified")
def _respondent_notified(asked: Asked) -> bool:
    return asked.notified


@fact("respondent_answered")
def _respondent_answered(asked: Asked) -> bool:
    return asked.case.respondent_answered_at is not None


# --- the complainant ------------------------------------------------------------------------------


@fact("complainant_named")
def _complainant_named(asked: Asked) -> bool:
    return not asked.case.anonymous


@fact("efforts_settled")
def _efforts_settled(asked: Asked) -> bool:
    return bool(asked.case.efforts_proven_at or asked.case.efforts_waived_reason)


@fact("acknowledged")
def _acknowledged(asked: Asked) -> bool:
    return asked.case.acknowledged_at is not None


# --- the decision ---------------------------------------------------------------------------------


@fact("all_determined")
def _all_determined(asked: Asked) -> bool:
    return bool(asked.determinations) and (
        Allegation.Determination.PENDING not in asked.determinations
    )


@fact("any_upheld")
def _any_upheld(asked: Asked) -> bool:
    return Allegation.Determination.UPHELD in asked.determinations


@fact("sanction_chosen")
def _sanction_chosen(asked: Asked) -> bool:
    return asked.sanction_chosen
