"""Reads for the pages and the command: the body's keys for verifying, and a status-list source
that reads this body's lists straight from the database (the site verifies without asking itself
over the network)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.credentials import documents, services, verification
from ombuds.credentials.models import IssuedCredential
from ombuds.register.models import Credential


def body_keys(organization: Organization) -> verification.Keys:
    keys = services.published_keys(organization)
    if not keys:
        return verification.Keys({})
    return verification.Keys.from_document(documents.jwk_set(organization.slug, keys))


def own_status_lists(organization: Organization) -> Callable[[str], str]:
    urls = {
        documents.status_list_url(organization.slug, p): p for p in ("suspension", "revocation")
    }

    def fetch(url: str) -> str:
        purpose = urls.get(url)
        if purpose is None:
            raise verification.StatusListUnavailable(f"{url} is not one of this body's lists")
        return services.status_list_token(organization, purpose)

    return fetch


def verify_for_body(organization: Organization, text: str, now: dt.datetime | None = None):
    """The verification page's answer: this body's keys, this body's lists as they are now."""
    return verification.verify(
        text,
        keys=body_keys(organization),
        fetch_status_list=own_status_lists(organization),
        now=now or timezone.now(),
    )


def holder_credential(user, pk: int) -> Credential | None:
    """The user's own credential with this id (None for anyone else's)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Credential.objects.select_related("program__organization", "holder")
        .filter(pk=pk, holder__user=user)
        .first()
    )


def issued_for(credential: Credential) -> IssuedCredential | None:
    return IssuedCredential.objects.filter(credential=credential).first()
