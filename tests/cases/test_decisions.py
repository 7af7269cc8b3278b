"""A public sanction's decision is published on its own page, linked from the public register, for
as long as the body's publication policy makes it public; it never shows the complainant."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ombuds.cases import services
from ombuds.register.models import Sanction
from tests.cases.conftest import end_appeal_window, file_case, take

pytestmark = pytest.mark.django_db


def _sanctioned(csec, *, publication: str, public_until: dt.date | None = None):
    case = file_case(csec)
    take(case, "acknowledge", csec.chair)
    take(case, "waive_efforts", csec.chair, waiver_reason="The agency would not answer.")
    take(case, "notify_member", csec.chair)
    services.respondent_answer(case=case, body="We disagree.", files=[])
    take(case, "investigate", csec.chair)
    take(case, "to_committee", csec.chair, summary="Records confirm it.")
    for allegation in case.allegations.all():
        services.determination_record(
            allegation=allegation,
            determination="upheld",
            reasons="Funds were held for 94 days.",
            acting_user=csec.committee,
        )
    take(case, "uphold", csec.committee)
    services.sanction_choose(
        case=case,
        kind="censure",
        summary="Public censure for holding client funds.",
        effective_from=timezone.localdate(),
        publication=publication,
        public_until=public_until,
        acting_user=csec.committee,
    )
    take(case, "impose_sanction", csec.committee)
    case = end_appeal_window(case)
    return case, Sanction.objects.get(case_choice__case=case)


def _url(case) -> str:
    return reverse("cases:decision", kwargs={"org": "csec", "reference": case.reference})


def test_a_public_sanction_links_to_its_decision_page_which_never_names_the_complainant(
    client, csec
):
    case, sanction = _sanctioned(csec, publication="public")
    assert sanction.decision_url.endswith(_url(case))
    page = client.get(_url(case))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Public censure for holding client funds." in html
    assert "Funds were held for 94 days." in html
    assert f"CSEC {csec.default_citation}" in html
    assert "Pat Complainant" not in html and "pat@example.org" not in html
    assert case.what_happened not in html  # the complaint's own words stay in the case


def test_a_private_sanction_has_no_public_decision(client, csec):
    case, sanction = _sanctioned(csec, publication="private")
    assert sanction.decision_url == ""
    assert client.get(_url(case)).status_code == 404


def test_a_decision_public_until_a_date_is_withdrawn_after_it(client, csec):
    case, sanction = _sanctioned(
        csec, publication="public_until", public_until=timezone.localdate() + dt.timedelta(days=5)
    )
    assert client.get(_url(case)).status_code == 200
    Sanction.objects.filter(pk=sanction.pk).update(
        public_until=timezone.localdate() - dt.timedelta(days=1)
    )
    assert client.get(_url(case)).status_code == 404


def test_an_open_case_or_an_unknown_reference_has_no_decision(client, csec):
    case = file_case(csec)
    assert client.get(_url(case)).status_code == 404
    missing = reverse("cases:decision", kwargs={"org": "csec", "reference": "CSEC-1999-0001"})
    assert client.get(missing).status_code == 404
