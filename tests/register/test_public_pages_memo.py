"""The register's public pages with their fragments kept (`{% memo %}`) are byte for byte the pages
rendered afresh (DEBUG keeps nothing), across bodies, languages, a renamed body and every outcome of
a search: a kept fragment never shows another body's, language's or former name."""

from __future__ import annotations

import pytest
from django.test import override_settings

PATHS = [
    "/{slug}/register/",
    "/{slug}/register/?q=holder",
    "/{slug}/register/?q=zzzzqq",
    "/{slug}/register/?q=ab",
    "/{slug}/register/?q=%3Cb%3E%26%27",
    "/{slug}/register/CGP-0001/",
    "/{slug}/register/CGP-0002/",
]


def pages(client, bodies) -> list[bytes]:
    out = []
    for body in bodies:
        for language in ("en", "es"):
            for path in PATHS:
                response = client.get(path.format(slug=body.slug), HTTP_ACCEPT_LANGUAGE=language)
                out.append(response.content)
    return out


@pytest.mark.django_db
def test_kept_fragments_are_the_pages_rendered_afresh(
    client, body, other_body, make_credential, settings
):
    settings.OMBUDS_REGISTER_SEARCHES_PER_MINUTE = settings.OMBUDS_REGISTER_LOOKUPS_PER_MINUTE = 0
    from ombuds.register.models import CredentialProgram

    body.languages = "en,es"
    body.save()
    make_credential("active")  # CGP-0001
    other = CredentialProgram.objects.create(
        organization=other_body, code="ocp", name="Other Practitioner", abbreviation="OCP"
    )
    make_credential("suspended", program=other)  # CGP-0002
    bodies = [body, other_body]
    kept = pages(client, bodies)
    assert pages(client, bodies) == kept  # the second time from the kept fragments
    with override_settings(DEBUG=True):
        assert pages(client, bodies) == kept
    body.acronym, body.name = "GEX", "Guild of Examples & Others"
    body.save()
    renamed = pages(client, bodies)
    assert renamed != kept
    assert b"GEX" in renamed[1] and b"Guild of Examples &amp; Others" in renamed[1]
    with override_settings(DEBUG=True):
        assert pages(client, bodies) == renamed
