"""Every certification form posted with bad input, by the candidate and by staff, with real
records behind the addresses: an empty body, 100 KB values, numbers past any range, lists, dates
that are not dates. None of them is a server error, and none changes the application."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ombuds.cases.models import BodyProcedure
from ombuds.certification import services
from ombuds.certification.models import Incident
from tests.certification.conftest import eligible, fresh

pytestmark = pytest.mark.django_db

BIG = "x" * 100_000


def _bodies(fields: set[str]) -> list[dict]:
    return [
        {},
        {name: BIG for name in fields},
        {name: "9" * 40 for name in fields},
        {name: ["2024-13-45", "-1"] for name in fields},
    ]


def test_no_certification_form_answers_bad_input_with_a_server_error(
    client, body, requirements, candidate, personas, window
):
    BodyProcedure.objects.create(organization=body, procedure_key="espcc-ethics")
    application = eligible(requirements.program, candidate, personas["body_staff"])
    services.incident_report(
        organization=body,
        report=services.IncidentReport(
            kind="cheating",
            reported_by="proctor",
            what_happened="Notes.",
            reporter_name="P",
            application_reference=application.reference,
        ),
    )
    incident = Incident.objects.get()
    before = fresh(application).updated_at
    org, pk = body.slug, application.pk
    pages = [
        (candidate, reverse("certification:application", kwargs={"pk": pk})),
        (candidate, reverse("certification:submit", kwargs={"pk": pk})),
        (candidate, reverse("certification:book", kwargs={"pk": pk})),
        (None, reverse("certification:apply", kwargs={"org": org, "program": "cgp"})),
        (None, reverse("certification:report", kwargs={"org": org})),
        (
            personas["body_staff"],
            reverse("certification_staff:review", kwargs={"org": org, "pk": pk}),
        ),
        (
            personas["body_staff"],
            reverse("certification_staff:suspend", kwargs={"org": org, "pk": pk}),
        ),
        (personas["body_staff"], reverse("certification_staff:windows", kwargs={"org": org})),
        (
            personas["body_staff"],
            reverse("certification_staff:result", kwargs={"org": org, "pk": window.pk}),
        ),
        (
            personas["body_staff"],
            reverse("certification_staff:import", kwargs={"org": org, "pk": window.pk}),
        ),
        (personas["body_staff"], reverse("certification_staff:incidents", kwargs={"org": org})),
        (
            personas["body_staff"],
            reverse("certification_staff:sanction", kwargs={"org": org, "pk": incident.pk}),
        ),
    ]
    failures = []
    for user, url in pages:
        client.logout()
        if user is not None:
            client.force_login(user)
        page = client.get(url)
        known = (
            set(re.findall(r'name="([\w-]+)"', page.content.decode()))
            if page.status_code == 200
            else set()
        )
        fields = (known | {"version", "decision", "window", "file", "kind", "sitting"}) - {
            "csrfmiddlewaretoken"
        }
        for data in _bodies(fields):
            response = client.post(url, data)
            if response.status_code >= 500:
                failures.append(f"{url} {sorted(data)[:4]}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert fresh(application).updated_at == before
