"""`record_page` writes a credential's verification page in Python: the same page as the template it
replaced (kept beside this test as ``templates/credential_as_template.html``), for every status and
what goes with it (a suspension's end, no dates, conditions over several lines, a published place,
a probation with sanctions announced, public sanctions), values that need escaping, in English and
Spanish."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import engines
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from ombuds.register.public_sanctions import PublicProvision, PublicSanction, Standing
from ombuds.register.public_verify import VerifiedCredential
from ombuds.register.record_page import credential_content, credential_title
from ombuds.register.views import _shown_dates

TEMPLATE = (Path(__file__).parent / "templates" / "credential_as_template.html").read_text()

ACTIVE = VerifiedCredential(
    number="CGP-0001",
    holder="Ann <b>Smith</b> & “Co”",
    body="Guild of Examples",
    body_slug="guild",
    credential="Certified <Practitioner> & Peer's",
    status="active",
    status_display="Active",
    issued_on=dt.date(2023, 1, 15),
    expires_on=dt.date(2026, 1, 14),
    suspended_until=None,
    conditions="",
    credential_abbreviation="C&P",
    holder_place="Springfield, Illinois",
)
SANCTION = PublicSanction(
    decided_on=dt.date(2024, 5, 2),
    kind="suspension",
    kind_display="Suspension",
    summary="Kept a client's <money>\nin the practice account.",
    decision_url="https://guild.example.org/decisions/2024-7?a=1&b=2",
    effective_from=dt.date(2024, 6, 1),
    effective_until=dt.date(2024, 9, 1),
    citations=["GOE 1.1(a)"],
    provisions=[PublicProvision("GOE 1.1(a)", "GOE 1.1(a)", "guild", "v1", "p-1-1-a")],
)
CREDENTIALS = [
    ACTIVE,
    dataclasses.replace(
        ACTIVE,
        number="Q&11 é?#% ~:@",
        status="suspended",
        status_display="Suspended",
        suspended_until=dt.date(2025, 9, 1),
        credential_abbreviation="",
        holder_place="",
        sanctions=[SANCTION],
    ),
    dataclasses.replace(
        ACTIVE,
        status="candidate",
        status_display="Candidate",
        issued_on=None,
        expires_on=None,
        conditions="Supervised practice only.\nNo <script>new</script> clients & no fees.",
        standing=Standing("probation", "", ["Suspension from 22 January 2027", "Fine & <costs>"]),
    ),
    dataclasses.replace(
        ACTIVE,
        status="revoked",
        status_display="Revoked",
        standing=Standing("conditions", "Only with a supervisor.", []),
    ),
    dataclasses.replace(ACTIVE, status="suspended", status_display="Suspended"),
]


def page(template, body, credential, language) -> str:
    dates = _shown_dates(
        issued_on=credential.issued_on,
        expires_on=credential.expires_on,
        suspended_until=credential.suspended_until,
        today=dt.date(2025, 3, 4),
    )
    request = RequestFactory().get(f"/guild/register/{credential.number}/")
    request.user = AnonymousUser()
    url, certificate = (
        "https://x.example/guild/register/A%20&/",
        "/guild/register/A%20&/certificate",
    )
    with translation.override(language):
        if template is None:
            content = credential_content(body, credential, dates, url, certificate)
            context = {"title": credential_title(body, credential), "content": content}
            return render_to_string("register/credential.html", {"body": body, **context}, request)
        context = {"credential": credential, "dates": dates, "verification_url": url}
        context["certificate_url"] = certificate
        return template.render({"body": body, **context}, request)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("n", range(len(CREDENTIALS)))
def test_the_page_is_the_html_the_template_wrote(body, language, n):
    body.acronym = "G&E"
    template = engines["django"].from_string(TEMPLATE)
    expected = page(template, body, CREDENTIALS[n], language)
    assert page(None, body, CREDENTIALS[n], language) == expected
    assert "<title>CGP-0001 · Ann &lt;b&gt;Smith" in expected or n == 1
