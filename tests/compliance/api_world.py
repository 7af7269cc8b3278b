"""What the compliance API's tests share: a token for each persona of the `council` fixture (member
tokens for the agencies' people, staff tokens with every scope, one scope, or none of compliance's,
and a staff token of another body), a return's files written, and a return sent as multipart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ombuds.bodies.models import BodyRole, Organization
from ombuds.compliance import synthetic
from ombuds.compliance.models import Programme
from ombuds.register.models import Membership, MembershipType
from ombuds.register.tokens import token_create

MARCH = synthetic.month("2026-03")
PLANTED = {"shortfall", "no_contract", "fee_beyond_contract"}
MEMBERS = ("agency_admin", "agency_employee", "other_agency_admin")


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def write_return(folder: Path, plant=PLANTED, seed: int = 7) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = synthetic.Synthetic(seed=seed, period=MARCH, clients=10, plant=plant)
    return made.write(folder)


def send(client, url: str, token: str | None, paths: dict[str, Path], **fields):
    """POST the return as multipart/form-data, as an agency's software would."""
    data = {"return_key": "trust_ledger", "period": "2026-03", **fields}
    handles = {key: open(path, "rb") for key, path in paths.items()}  # noqa: SIM115
    try:
        return client.post(url, {**data, **handles}, headers=auth(token))
    finally:
        for handle in handles.values():
            handle.close()


@pytest.fixture
def tokens(council, django_user_model) -> dict[str, str]:
    """A token for each persona, by name; "anonymous" has none."""
    made: dict[str, str] = {}
    for who in MEMBERS:
        user = council.users[who]
        made[who] = token_create(
            user=user, organization=council.body, name="books", scope="member"
        )[1]
    staff = council.users["body_staff"]
    for name, scopes in (
        ("body_staff", None),  # every staff scope
        ("compliance_reader", ["compliance:read"]),
        ("wrong_scope", ["register:write", "cases:write"]),
    ):
        made[name] = token_create(user=staff, organization=council.body, name=name, scopes=scopes)[
            1
        ]
    elsewhere = Organization.objects.create(slug="elsewhere", name="Elsewhere", acronym="ELS")
    olga = django_user_model.objects.create_user("olga", "olga@example.org", "pw-not-used")
    BodyRole.objects.create(user=olga, organization=elsewhere, role="staff")
    made["other_body_staff"] = token_create(user=olga, organization=elsewhere, name="x")[1]
    made["anonymous"] = ""
    return made


@pytest.fixture
def members(council):
    """Both agencies members since 2025, bound to file; the programme applies from March 2026."""
    kind = MembershipType.objects.create(
        organization=council.body, code="agency", name="Member agency", kind="organization"
    )
    for n, agency in enumerate((council.agency, council.other_agency)):
        Membership.objects.create(
            organization=council.body,
            membership_type=kind,
            agency=agency,
            number=f"A-{n}",
            status=Membership.Status.ACTIVE,
            start_date=dt.date(2025, 6, 1),
        )
    Programme.objects.filter(organization=council.body).update(
        installed_at=dt.datetime(2026, 2, 20, 12, tzinfo=dt.UTC)
    )
    return council
