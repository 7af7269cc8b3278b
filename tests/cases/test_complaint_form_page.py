"""The public complaint form's page, byte for byte: blank (what every visitor gets first) and sent
back with problems, in English and Spanish, against references kept beside this test
(``pages/complain_*.html``, written by the code before the blank form's fields were rendered once
per language, `{% memo %}`): the form's token and its random submission key are the only parts
that differ from one visitor to the next. The blank page is asked for twice, the second answer
coming from what the first kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

PAGES = Path(__file__).parent / "pages"

# Everything a complainant can get wrong at once, values that need escaping included.
WRONG_ANONYMOUS = {
    "who": "anonymous",
    "passphrase": "short",
    "passphrase_again": "other",
    "complainant_relation": "client",
    "respondent_kind": "person",
    "respondent_name": "Someone <b>& “Co”",
    "respondent_number": "NOPE-1",
    "what_happened": "",
    "happened_on": "2999-01-02",
    "happened_until": "2020-01-01",
    "outcome_sought": "x & <y>",
    "submission_key": "k" * 32,
}
WRONG_NAMED = {
    "who": "named",
    "complainant_name": "",
    "complainant_email": "not an email",
    "complainant_relation": "",
    "respondent_kind": "agency",
    "respondent_name": "",
    "what_happened": "It <happened>",
    "first_tier_link": "https://elsewhere.example/x",
    "submission_key": "j" * 32,
}


def _same_for_everyone(page: bytes, provisions: dict[int, str]) -> str:
    """The page with what differs between visitors (the form's token, the random submission key)
    replaced, and each provision's id (the database's) by its citation."""
    text = page.decode()
    text = re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value="T"', text
    )
    text = re.sub(
        r'name="submission_key" value="[0-9a-f]{32}"', 'name="submission_key" value="K"', text
    )
    return re.sub(
        r'name="provisions" value="(\d+)"',
        lambda m: f'name="provisions" value="{provisions[int(m.group(1))]}"',
        text,
    )


def complaint_pages(client, csec) -> dict[str, str]:
    """The pages compared, by name: GET twice and two POSTs with problems, in each language."""
    csec.org.languages = "en,es"
    csec.org.save()
    url = reverse("cases:complain", kwargs={"org": csec.org.slug})
    leaf = csec.version.provisions.get(citation="1.2")
    provisions = dict(csec.version.provisions.values_list("pk", "citation"))
    pages = {}
    for language in ("en", "es"):
        for again in ("", "_again"):
            client.cookies.clear()
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200
            pages[f"blank_{language}{again}"] = _same_for_everyone(response.content, provisions)
        for name, data in (
            ("wrong_anonymous", {**WRONG_ANONYMOUS, "provisions": [leaf.pk]}),
            ("wrong_named", WRONG_NAMED),
        ):
            client.cookies.clear()
            response = client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 400
            pages[f"{name}_{language}"] = _same_for_everyone(response.content, provisions)
    return pages


@pytest.mark.django_db
def test_the_complaint_form_pages_are_those_of_the_reference(client, csec, settings):
    settings.DEBUG = False  # the blank form's fields are then kept once rendered
    pages = complaint_pages(client, csec)
    for name, page in pages.items():
        reference = (PAGES / f"complain_{name.removesuffix('_again')}.html").read_text()
        assert page == reference, name
    # Nothing a visitor typed is in what another visitor gets.
    assert "Someone" not in pages["blank_en_again"]
    assert "&lt;happened&gt;" in pages["wrong_named_en"]
