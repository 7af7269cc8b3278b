"""The agency's own compliance page: its administrators only, what is due, what to answer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ombuds.compliance import services, synthetic

MARCH = synthetic.month("2026-03")


@pytest.fixture
def filed(council, tmp_path):
    made = synthetic.Synthetic(seed=7, period=MARCH, clients=10, plant={"no_contract"})
    return services.return_file(
        organization=council.body,
        agency=council.agency,
        return_key="trust_ledger",
        period=MARCH,
        paths=made.write(tmp_path),
        user=council.users["agency_admin"],
    )


def url(council):
    return reverse("compliance:agency", kwargs={"agency": council.agency.pk})


def test_the_administrator_sees_the_findings_to_answer_and_the_history(
    client, council, filed, django_assert_max_num_queries
):
    client.force_login(council.users["agency_admin"])
    with django_assert_max_num_queries(15):
        response = client.get(url(council))
    assert response.status_code == 200
    text = response.content.decode()
    finding = filed.findings.get()
    assert finding.detail in text and "1.3(a)" in text
    assert f"Return {filed.pk}</a>" in text


@pytest.mark.parametrize(
    ("who", "status"),
    [("agency_employee", 403), ("other_agency_admin", 404), ("body_staff", 404), ("no_role", 404)],
)
def test_nobody_else_sees_it(client, council, filed, who, status):
    client.force_login(council.users[who])
    response = client.get(url(council))
    assert response.status_code == status
    assert filed.findings.get().detail not in response.content.decode()


def test_anonymous_visitors_are_asked_to_sign_in(client, council):
    response = client.get(url(council))
    assert response.status_code == 302 and "login" in response["Location"]
