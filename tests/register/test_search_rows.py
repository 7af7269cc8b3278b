"""`search_rows_html` writes the search results' rows in Python: the same HTML as the template loop
it replaced (kept beside this test as ``templates/search_rows_as_template.html``, with its links
by ``{% url %}`` and its dates by the ``date`` filter), in English and Spanish, for both kinds of
entry, every tone of status, with and without trade names, place and date, and values that need
escaping or quoting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.template import engines
from django.utils import translation

from ombuds.register.public_entries import RegisterEntry
from ombuds.register.search_rows import search_rows_html

TEMPLATE = (Path(__file__).parent / "templates" / "search_rows_as_template.html").read_text()

ENTRIES = [
    RegisterEntry(
        kind="credential",
        number="CGP-0001",
        holder="Ann <b>Smith</b> & “Co”",
        place="Springfield, Illinois, US",
        entry="Certified <Practitioner> & Peer's",
        status="active",
        status_display="Active",
        expires_on=dt.date(2027, 1, 31),
    ),
    RegisterEntry(
        kind="credential",
        number="Q&11 é?#% ~:@",
        holder="José Núñez",
        place="",
        entry="Quiet Programme",
        status="suspended",
        status_display="Suspended",
        expires_on=None,
    ),
    RegisterEntry(
        kind="membership",
        number="GOE-2001",
        holder="Lantern Recovery Services, LLC",
        place="Chicago, IL",
        entry="Member agency",
        status="grace",
        status_display="In grace period",
        expires_on=dt.date(2026, 12, 6),
        also_known_as=["Lantern <Kids>", "L&R", 'O\'Brien "Care"'],
    ),
    RegisterEntry(
        kind="membership",
        number="im 4",
        holder="Mononym",
        place="",
        entry="Individual member",
        status="applicant",
        status_display="Applicant",
        expires_on=None,
    ),
]


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_rows_are_the_html_the_template_wrote(body, language):
    template = engines["django"].from_string(TEMPLATE)
    with translation.override(language):
        expected = template.render({"rows": ENTRIES, "slug": body.slug})
        assert search_rows_html(body, ENTRIES) == expected
        for entry in ENTRIES:
            assert search_rows_html(body, [entry]) == template.render(
                {"rows": [entry], "slug": body.slug}
            )
    assert ('data-label="Titular"' in expected) == (language == "es")


def test_no_results_no_rows(body):
    assert search_rows_html(body, []) == ""
