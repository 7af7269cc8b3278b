"""What the public register shows: one place that applies each body's publication policy.

Pages, the API and `ombuds register verify` all read the register through these functions, so what
the public can see is decided here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone

from ombuds.register.models import Credential, Organization, Sanction


def public_sanctions_q(today: dt.date) -> Q:
    """Sanctions the public may see today: public, or public until a date not yet passed."""
    return Q(publication=Sanction.Publication.PUBLIC) | Q(
        publication=Sanction.Publication.PUBLIC_UNTIL, public_until__gte=today
    )


@dataclass(frozen=True)
class PublicSanction:
    decided_on: dt.date
    kind: str
    kind_display: str
    summary: str
    decision_url: str
    effective_from: dt.date | None
    effective_until: dt.date | None
    citations: list[str]


@dataclass(frozen=True)
class VerifiedCredential:
    number: str
    holder: str
    body: str
    body_slug: str
    credential: str
    status: str
    status_display: str
    issued_on: dt.date | None
    expires_on: dt.date | None
    suspended_until: dt.date | None
    conditions: str
    sanctions: list[PublicSanction] = field(default_factory=list)


def _credentials_with_public_sanctions(today: dt.date):
    return Credential.objects.select_related("program__organization", "holder").prefetch_related(
        Prefetch(
            "sanctions",
            queryset=Sanction.objects.filter(public_sanctions_q(today))
            .prefetch_related("provisions__version__code__organization")
            .order_by("-decided_on", "pk"),
            to_attr="public_sanction_list",
        )
    )


def _verified(credential: Credential) -> VerifiedCredential:
    body = credential.program.organization
    return VerifiedCredential(
        number=credential.number,
        holder=credential.holder.full_name,
        body=body.name,
        body_slug=body.slug,
        credential=credential.program.name,
        status=credential.status,
        status_display=credential.get_status_display(),
        issued_on=credential.issued_on,
        expires_on=credential.expires_on,
        suspended_until=credential.suspended_until,
        conditions=credential.conditions,
        sanctions=[
            PublicSanction(
                decided_on=s.decided_on,
                kind=s.kind,
                kind_display=s.get_kind_display(),
                summary=s.summary,
                decision_url=s.decision_url,
                effective_from=s.effective_from,
                effective_until=s.effective_until,
                citations=sorted(
                    f"{p.version.code.organization.short_name} {p.citation}"
                    for p in s.provisions.all()
                ),
            )
            for s in credential.public_sanction_list
        ],
    )


def credential_verify(
    number: str, *, organization: Organization | None = None, today: dt.date | None = None
) -> VerifiedCredential | None:
    """The public facts of the credential with this exact number (case and spaces ignored), or None."""
    # Numbers are stored upper-case without spaces (the import normalises them), so an exact match uses
    # the index.
    cleaned = "".join(number.split()).upper()
    if not cleaned:
        return None
    credentials = _credentials_with_public_sanctions(today or timezone.localdate()).filter(
        number=cleaned
    )
    if organization is not None:
        credentials = credentials.filter(program__organization=organization)
    credential = credentials.order_by("pk").first()
    return _verified(credential) if credential is not None else None
