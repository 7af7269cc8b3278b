import pytest
from django.db import connection

from ombuds.codes import services
from ombuds.codes.selectors import provision_search
from tests.conftest import small_code

pytestmark = pytest.mark.django_db


def test_every_word_must_match_and_plurals_fold(body, published):
    assert [h.provision.citation for h in provision_search(body, "complaints answer")] == ["1.1(a)"]
    assert provision_search(body, "complaints zebra") == []


def test_a_heading_match_ranks_first(body, published):
    citations = [h.provision.citation for h in provision_search(body, "client")]
    assert citations[0] == "1"  # the heading "Clients"
    assert set(citations) >= {"1", "1.1(b)", "2.1"}


def test_the_phrase_as_written_ranks_above_scattered_words(body):
    parsed = small_code(changed=True)
    services.code_version_import(
        organization=body, parsed=parsed, source=b"x", label="v1", publish=True
    )
    hits = provision_search(body, "trust account")
    assert hits[0].provision.citation == "1.1(b)"


def test_only_the_version_in_force_is_searched(body, published):
    services.code_version_import(
        organization=body, parsed=small_code(changed=True), source=b"v2", label="v2", publish=True
    )
    versions = {h.provision.version.label for h in provision_search(body, "members")}
    assert versions == {"v2"}


def test_an_empty_or_punctuation_query_finds_nothing(body, published):
    assert provision_search(body, "") == []
    assert provision_search(body, "?!") == []


def test_the_engine_marks_the_matching_words_of_the_snippet(body, published):
    [hit] = provision_search(body, "complaints answer")
    assert [text for text, match in hit.snippet if match] == ["answer ", "complaint "]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram similarity: PostgreSQL")
def test_a_word_typed_with_a_slip_still_finds_its_provision(body, published):
    citations = [h.provision.citation for h in provision_search(body, "complants")]
    assert citations == ["1.1(a)"]
