"""The search page reads its body with the body's programmes in one query
(`public_search.body_and_programs`): a body without programmes, a body with several, and no body."""

from __future__ import annotations

from ombuds.register.models import CredentialProgram
from ombuds.register.public_search import body_and_programs, programs_of


def test_the_body_with_its_programmes_as_programs_of_reads_them(body, other_body):
    assert body_and_programs("guild") == (body, {})
    CredentialProgram.objects.create(
        organization=body, code="a", name="A", abbreviation="A", public_fields=["city"]
    )
    CredentialProgram.objects.create(organization=body, code="b", name="B", abbreviation="")
    CredentialProgram.objects.create(organization=other_body, code="c", name="C")
    found, programs = body_and_programs("guild")
    assert found == body and found.name == body.name and found.slug == "guild"
    expected = programs_of(body.pk)
    assert sorted(programs) == sorted(expected)
    for pk, program in programs.items():
        assert (program.name, program.abbreviation, program.public_fields) == (
            expected[pk].name,
            expected[pk].abbreviation,
            expected[pk].public_fields,
        )
    assert [p.public_fields for p in sorted(programs.values(), key=lambda p: p.name)] == [
        ["city"],
        [],
    ]
    assert body_and_programs("nobody") == (None, {})


def test_the_search_page_of_a_body_without_programmes_or_no_body(client, body, settings):
    settings.OMBUDS_REGISTER_SEARCHES_PER_MINUTE = 0
    response = client.get("/guild/register/", {"q": "smith"})
    assert response.status_code == 200
    assert "Nobody in the register matches “smith”." in response.content.decode()
    assert client.get("/nobody/register/", {"q": "smith"}).status_code == 404
