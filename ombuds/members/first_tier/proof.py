"""Taking a complaint to the body (CSEC Article 5): the first-tier record is the proof of
reasonable efforts to resolve it. `ombuds.cases.services.case_file` checks the record a complaint
carries (`escalation_prepare`) and attaches it to the case it files (`escalation_attach`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.cases.models import Case
from ombuds.cases.services import CaseRefused, Complaint
from ombuds.members.first_tier.common import CLIENT_LABEL, client_complaint_for_token, link_token
from ombuds.members.models import ClientComplaint
from ombuds.register.models import Agency
from ombuds.register.names import THRESHOLD, normalise_name, similarity


def escalation_record(organization: Organization, link: str) -> ClientComplaint | None:
    """The client complaint a personal link (or its token) opens, of an agency of this body."""
    return client_complaint_for_token(link_token(link), organization)


def unknown_link(organization: Organization) -> str:
    """What a complainant is told when their link opens no complaint to the body's agencies."""
    return (
        "The link to your complaint to the agency does not open a complaint made to one of "
        f"{organization.short_name}'s member agencies: copy the whole link, or leave it out."
    )


def escalation_initial(complaint: ClientComplaint, link: str) -> dict[str, Any]:
    """What the body's complaint form starts with when the client comes from their first-tier
    page: the record attached, the client as the complainant, the agency as the respondent."""
    return {
        "first_tier_link": link_token(link),
        "who": "named",
        "complainant_name": complaint.client_name,
        "complainant_email": complaint.client_email,
        "complainant_phone": complaint.client_phone,
        "complainant_relation": "client",
        "respondent_kind": "agency",
        "respondent_name": complaint.agency.legal_name,
        "what_happened": complaint.description,
    }


def _names_agency(agency: Agency, name: str) -> bool:
    """Whether a name typed for the respondent can be this agency's: one of its names, alike
    once normalised, or words all taken from one of them ("Faithful" for "Faithful Support")."""
    wanted = normalise_name(name)
    if not wanted:
        return True
    for known in [agency.legal_name, *(n for n in agency.trade_names or [] if isinstance(n, str))]:
        norm = normalise_name(known)
        if similarity(wanted, norm) >= THRESHOLD or set(wanted.split()) <= set(norm.split()):
            return True
    return False


def escalation_ready_on(record: ClientComplaint) -> dt.date | None:
    """The day from which the record proves reasonable efforts to resolve (CSEC Article 5), or None
    when it does already: once the agency has answered or closed it, or once it has had
    settings.OMBUDS_FIRST_TIER_DAYS to answer. A complaint made minutes ago proves no effort."""
    if record.first_response_at or record.status != ClientComplaint.Status.OPEN:
        return None
    ready = timezone.localdate(record.received_at) + dt.timedelta(
        days=settings.OMBUDS_FIRST_TIER_DAYS
    )
    return ready if ready > timezone.localdate() else None


def escalation_prepare(
    *, organization: Organization, complaint: Complaint
) -> tuple[ClientComplaint | None, Complaint, list[str]]:
    """Check the first-tier record a complaint to the body carries (``complaint.first_tier_link``):
    (the record, the complaint with the agency as its respondent when it named none in the
    register, every problem). The record must be a complaint to one of this body's agencies, not
    already taken to the body, by a complainant who gives their name (the record names them), and
    about the same agency."""
    if not complaint.first_tier_link.strip():
        return None, complaint, []
    record = escalation_record(organization, complaint.first_tier_link)
    if record is None:
        return None, complaint, [unknown_link(organization)]
    agency = record.agency
    problems = []
    if record.escalated_case_id is not None:
        problems.append(
            f"Your complaint to {agency.legal_name} ({record.reference}) was already taken to "
            f"{organization.short_name}: it cannot be attached to a second complaint. Follow "
            "the first one instead."
        )
    ready_on = escalation_ready_on(record)
    if ready_on is not None:
        problems.append(
            f"{agency.legal_name} has not answered your complaint ({record.reference}) yet: give "
            f"it until {ready_on:%-d %B %Y} to answer, then attach it; or leave the link out and "
            f"complain now ({organization.short_name} may then ask you what you did to settle it "
            "with the agency)."
        )
    if complaint.anonymous:
        problems.append(
            f"Your complaint to {agency.legal_name} has your name on it: to attach it, give your "
            "name here too, or leave the link out to stay anonymous."
        )
    named = complaint.respondent_person or complaint.respondent_agency
    if named is not None and named != agency:
        problems.append(
            f"Your complaint to the agency first was to {agency.legal_name}, but this complaint "
            f"is about {named}: make it about {agency.legal_name}, or leave the link out."
        )
    elif named is None and not _names_agency(agency, complaint.respondent_name):
        problems.append(
            f"Your complaint to the agency first was to {agency.legal_name}, but this complaint "
            f"is about “{complaint.respondent_name.strip()}”: make it about "
            f"{agency.legal_name}, or leave the link out."
        )
    else:
        complaint = replace(complaint, respondent_person=None, respondent_agency=agency)
    return record, complaint, problems


def escalation_attach(*, record: ClientComplaint, case: Case, actor_label: str = "") -> None:
    """Attach the first-tier record to the case just filed, inside its transaction: the record
    points at the case, and both carry an audit event (the case's notes the record's reference as
    the proof of efforts). A record attached meanwhile to another case refuses the filing."""
    attached = ClientComplaint.objects.filter(pk=record.pk, escalated_case__isnull=True).update(
        escalated_case=case
    )
    if not attached:
        raise CaseRefused(
            f"Your complaint to {record.agency.legal_name} ({record.reference}) was already "
            f"taken to {case.organization.short_name}: it cannot be attached to a second "
            "complaint."
        )
    record.escalated_case = case
    audit.record(
        action="client_complaint.escalated",
        subject_type="client_complaint",
        subject_id=record.pk,
        organization=case.organization,
        actor_label=actor_label or CLIENT_LABEL,
        data={"reference": record.reference, "case": case.reference},
    )
    audit.record(
        action="case.first_tier_attached",
        subject_type="case",
        subject_id=case.pk,
        organization=case.organization,
        actor_label=actor_label or CLIENT_LABEL,
        data={
            "reference": case.reference,
            "first tier reference": record.reference,
            "agency": record.agency.legal_name,
            "efforts proven": True,
        },
    )
