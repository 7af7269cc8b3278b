import json

import pytest

from ombuds.codes import services
from ombuds.codes.exceptions import CodeError, VersionFrozen
from ombuds.codes.models import CodeVersion, Provision
from tests.conftest import small_code

pytestmark = pytest.mark.django_db


def test_import_stores_the_whole_tree_in_document_order(body):
    version, created = services.code_version_import(
        organization=body, parsed=small_code(), source=b"text", label="v1"
    )
    assert created
    rows = list(
        version.provisions.order_by("position").values_list("citation", "depth", "parent__citation")
    )
    assert rows == [
        ("1", 0, None),
        ("1.1", 1, "1"),
        ("1.1(a)", 2, "1.1"),
        ("1.1(b)", 2, "1.1"),
        ("1.2", 1, "1"),
        ("2", 0, None),
        ("2.1", 1, "2"),
    ]
    assert version.status == CodeVersion.Status.DRAFT
    assert version.effective_date.isoformat() == "2024-01-01"
    assert version.preamble == ["This code binds every member of the guild."]
    a = version.provisions.get(citation="1.1(a)")
    assert a.full_text == "Members shall answer every complaint within ten days"
    assert a.anchor == "1.1(a)"
    assert (a.modality, a.subject) == ("obligation", "Members")


def test_importing_the_same_source_twice_changes_nothing(body):
    first, created = services.code_version_import(
        organization=body, parsed=small_code(), source=b"same", label="v1", publish=True
    )
    again, created_again = services.code_version_import(
        organization=body, parsed=small_code(), source=b"same", label="v1", publish=True
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert CodeVersion.objects.count() == 1
    assert Provision.objects.count() == 7


def test_a_different_text_under_an_existing_label_is_refused(body):
    services.code_version_import(organization=body, parsed=small_code(), source=b"one", label="v1")
    with pytest.raises(CodeError, match="already has a version 'v1'"):
        services.code_version_import(
            organization=body, parsed=small_code(), source=b"two", label="v1"
        )


def test_labels_default_to_the_next_free_number(body):
    v1, _ = services.code_version_import(organization=body, parsed=small_code(), source=b"a")
    v2, _ = services.code_version_import(organization=body, parsed=small_code(), source=b"b")
    assert (v1.label, v2.label) == ("v1", "v2")


def test_a_failed_import_leaves_no_half_stored_version(body):
    parsed = small_code()
    # The last provision cannot be stored: everything before it must be rolled back too.
    parsed.provisions[-1].children[-1].citation = "x" * 101
    with pytest.raises(CodeError, match="too long"):
        services.code_version_import(organization=body, parsed=parsed, source=b"bad", label="v1")
    assert CodeVersion.objects.count() == 0
    assert Provision.objects.count() == 0


def test_publishing_freezes_the_version(draft):
    services.code_version_publish(version=draft)
    draft.refresh_from_db()
    assert draft.is_published and draft.published_at is not None
    with pytest.raises(VersionFrozen):
        services.code_version_publish(version=draft)
    provision = draft.provisions.get(citation="1.2")
    with pytest.raises(VersionFrozen):
        services.provision_update(
            provision=provision, label="1.2", citation="1.2", heading="", text="x"
        )
    with pytest.raises(VersionFrozen):
        services.code_version_delete_draft(version=draft)


def test_deleting_a_draft_removes_its_provisions(draft):
    services.code_version_delete_draft(version=draft)
    assert CodeVersion.objects.count() == 0 and Provision.objects.count() == 0


def test_interchange_json_imports_back_to_the_same_tree(body, published):
    from ombuds.codes.exports import version_to_dict

    exported = json.dumps(version_to_dict(published)).encode()
    parsed = services.read_code_file(exported, filename="export.json")
    copy, _ = services.code_version_import(
        organization=body, parsed=parsed, source=exported, label="copy"
    )
    assert version_to_dict(copy) == version_to_dict(published)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", "not valid JSON: line 1"),
        (b'{"title": "x"}', 'must be an object with a "provisions" list'),
        (b'{"provisions": []}', "no provisions"),
        (
            b'{"provisions": [{"citation": "1", "text": "a"}, {"citation": "1", "text": "b"}]}',
            "citation '1' appears twice",
        ),
        (
            b'{"provisions": [{"citation": "1", "text": "a", "modality": "maybe"}]}',
            "unknown modality",
        ),
    ],
)
def test_bad_interchange_json_is_refused_with_the_reason(payload, message):
    with pytest.raises(CodeError, match=message):
        services.read_code_file(payload, filename="code.json")
