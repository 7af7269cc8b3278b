"""Recording attestations: a person's own, and one staff record by proxy.

A person attests to the exact version: the SHA-256 of its canonical text (the Markdown export), the
statement they confirmed and the time. Staff may record an attestation by proxy, with a reason.
Refusals (`AttestationRefused`) list every problem and change nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.selectors import is_body_staff
from ombuds.codes.models import CodeVersion
from ombuds.members.attestations.common import (
    AttestationRefused,
    date_text,
    default_statement,
    real_user,
    superseding_version,
    version_text_sha256,
)
from ombuds.members.models import Attestation, AttestationCampaign, AttestationDue
from ombuds.register.models import Person


def _check(
    problems: list[str],
    *,
    person: Person,
    version: CodeVersion,
    campaign: AttestationCampaign | None,
    you: bool,
) -> None:
    """The problems shared by attesting oneself and by proxy."""
    if version.code.organization_id != person.organization_id:
        problems.append("This code is not one of the body that keeps this register record.")
    elif not version.is_published:
        problems.append(f"Version {version.label} is not published.")
    else:
        newer = superseding_version(version)
        if newer is not None:
            problems.append(
                f"Version {version.label} was superseded by version {newer.label}: "
                "attest to the current version."
            )
    if campaign is not None:
        # Read again: the campaign may have closed since the caller loaded it.
        if AttestationCampaign.objects.filter(pk=campaign.pk, closed_at__isnull=False).exists():
            problems.append(f"The campaign “{campaign.title}” is closed.")
        if not AttestationDue.objects.filter(campaign=campaign, person=person).exists():
            problems.append(
                f"{'You are' if you else person.full_name + ' is'} not asked to attest in "
                f"“{campaign.title}”."
            )
    earlier = Attestation.objects.filter(person=person, code_version=version).first()
    if earlier is not None:
        problems.append(
            f"{'You' if you else person.full_name} already attested to version {version.label} "
            f"on {date_text(timezone.localtime(earlier.attested_at).date())}."
        )


def _record(
    *,
    person: Person,
    version: CodeVersion,
    campaign: AttestationCampaign | None,
    user: Any,
    proxy_reason: str = "",
) -> Attestation:
    statement = campaign.statement if campaign is not None else default_statement(version)
    digest = version_text_sha256(version)
    try:
        with transaction.atomic():
            # One attestation per person and version: the lock makes a second request wait and the
            # unique constraint refuse it.
            Person.objects.select_for_update().filter(pk=person.pk).first()
            attestation = Attestation.objects.create(
                person=person,
                code_version=version,
                campaign=campaign,
                text_sha256=digest,
                statement=statement,
                attested_at=timezone.now(),
                user=real_user(user),
                by_proxy=bool(proxy_reason),
                proxy_reason=proxy_reason,
            )
            audit.record(
                action="attestation.recorded",
                subject_type="person",
                subject_id=person.pk,
                data={
                    "attestation": attestation.pk,
                    "version": version.label,
                    "version_id": version.pk,
                    "campaign": campaign.pk if campaign is not None else None,
                    "text_sha256": digest,
                    "statement": statement,
                    "by_proxy": attestation.by_proxy,
                    "proxy_reason": proxy_reason,
                },
                organization=person.organization,
                actor=user,
                actor_label="" if real_user(user) else "command line",
            )
    except IntegrityError:
        raise AttestationRefused(
            f"{person.full_name} already attested to version {version.label}."
        ) from None
    return attestation


def attest(
    *,
    person: Person,
    user: Any,
    statement_confirmed: bool,
    campaign: AttestationCampaign | None = None,
    code_version: CodeVersion | None = None,
) -> Attestation:
    """The person's own attestation to the campaign's version (or to ``code_version``), which must
    be the code's current version: the SHA-256 of its text, the statement they confirmed (the
    campaign's, or the default one) and the time. ``person`` must be the user's own record. Raises
    AttestationRefused listing every problem."""
    if (campaign is None) == (code_version is None):
        raise AttestationRefused("Attest either in a campaign or to a code version.")
    version = campaign.code_version if campaign is not None else code_version
    assert version is not None
    problems: list[str] = []
    if not getattr(user, "pk", None) or person.user_id != user.pk:
        problems.append(
            "You can only attest for yourself; staff record an attestation for someone else "
            "by proxy, with the reason."
        )
    if not statement_confirmed:
        problems.append("Tick “I confirm” to confirm the statement.")
    _check(problems, person=person, version=version, campaign=campaign, you=True)
    if problems:
        raise AttestationRefused(problems)
    return _record(person=person, version=version, campaign=campaign, user=user)


def attest_by_proxy(
    *, person: Person, campaign: AttestationCampaign, reason: str, staff_user: Any
) -> Attestation:
    """Staff record an attestation on the person's behalf (they attested on paper, by email …),
    marked as by proxy with the reason given (required). ``staff_user`` None is the command line.
    Raises AttestationRefused listing every problem."""
    reason = (reason or "").strip()
    problems: list[str] = []
    if staff_user is not None and not is_body_staff(staff_user, campaign.organization):
        problems.append(f"You have no staff role on {campaign.organization.short_name}.")
    if not reason:
        problems.append("Say why you record this attestation on their behalf.")
    _check(problems, person=person, version=campaign.code_version, campaign=campaign, you=False)
    if problems:
        raise AttestationRefused(problems)
    return _record(
        person=person,
        version=campaign.code_version,
        campaign=campaign,
        user=staff_user,
        proxy_reason=reason,
    )
