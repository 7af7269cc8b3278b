"""The prefix members put before a citation ("CESP 3.8"): chosen by the body, used at every door."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from ombuds.audit.models import Event
from ombuds.codes import code_settings
from ombuds.codes.citing import citation_prefix, cite
from ombuds.codes.exceptions import CodeError

pytestmark = pytest.mark.django_db


@pytest.fixture
def cesp(body, published):
    code_settings.code_settings_update(
        organization=body, citation_prefix="CESP", parsing_profile="", revision=None
    )
    return body


def test_the_prefix_is_the_bodys_short_name_until_it_chooses(body, published):
    assert cite(body, "1.1(a)") == "GOE 1.1(a)"
    assert cite(published.code, "1.1(a)") == "GOE 1.1(a)"


def test_a_chosen_prefix_is_used_for_the_body_and_its_code(cesp, published):
    published.code.refresh_from_db()
    assert cite(published.code, "1.2") == "CESP 1.2"
    assert cite(cesp, "1.2") == "CESP 1.2"


def test_the_provision_page_cites_with_the_chosen_prefix(client, cesp):
    html = client.get("/guild/code/1.1(a)").content.decode()
    assert "CESP 1.1(a) (v1)" in html
    assert "GOE 1.1(a)" not in html


def test_the_code_page_permalinks_say_the_chosen_prefix(
    client, cesp, django_assert_max_num_queries
):
    with django_assert_max_num_queries(7):
        html = client.get(reverse("codes:current", kwargs={"org": "guild"})).content.decode()
    assert 'aria-label="Permalink to CESP 1.1(a)"' in html


def test_the_search_results_cite_with_the_chosen_prefix(client, cesp):
    html = client.get(
        reverse("codes:search", kwargs={"org": "guild"}) + "?q=complaint"
    ).content.decode()
    assert "CESP 1.1(a)" in html


def test_the_api_gives_the_prefix_and_the_citation_as_members_write_it(client, cesp):
    code = client.get("/api/v1/bodies/guild/code").json()
    assert code["citation_prefix"] == "CESP"
    detail = client.get("/api/v1/bodies/guild/code/provisions/1.1(a)").json()
    assert (detail["citation"], detail["cite_as"]) == ("1.1(a)", "CESP 1.1(a)")
    hits = client.get("/api/v1/bodies/guild/code/search?q=complaint").json()
    assert hits[0]["cite_as"] == "CESP 1.1(a)"


def test_the_json_export_carries_the_prefix(cesp):
    out = StringIO()
    call_command("codes", "export", "--org", "guild", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["citation_prefix"] == "CESP"


def test_staff_set_the_prefix_on_the_code_page(client, personas, body, published):
    client.force_login(personas["body_staff"])
    page = client.get(reverse("codes_staff:versions", kwargs={"org": "guild"})).content.decode()
    assert "Provisions are cited as <strong>GOE 1.1</strong>" in page
    response = client.post(
        reverse("codes_staff:settings", kwargs={"org": "guild"}),
        {"citation_prefix": "CESP", "parsing_profile": "", "revision": "0"},
        follow=True,
    )
    assert "Provisions are cited as <strong>CESP 1.1</strong>" in response.content.decode()
    event = Event.objects.get(action="code.settings_changed")
    assert event.actor == personas["body_staff"] and event.organization == body
    assert "CESP 1.2" in client.get("/guild/code/1.2").content.decode()


def test_a_change_from_a_stale_page_is_refused_and_changes_nothing(client, personas, cesp):
    client.force_login(personas["body_admin"])
    response = client.post(
        reverse("codes_staff:settings", kwargs={"org": "guild"}),
        {"citation_prefix": "XYZ", "parsing_profile": "", "revision": "0"},
    )
    assert response.status_code == 400
    assert "someone changed these settings" in response.content.decode()
    assert citation_prefix(code_settings.body_code(cesp)) == "CESP"


def test_a_bad_profile_on_the_code_page_lists_every_problem(client, personas, body, published):
    client.force_login(personas["body_admin"])
    response = client.post(
        reverse("codes_staff:settings", kwargs={"org": "guild"}),
        {
            "citation_prefix": "",
            "parsing_profile": 'styles = ["verse"]\ncolour = 1\n',
            "revision": "0",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400 and 'class="error-summary"' in html
    assert "unknown style" in html and "colour: unknown key" in html
    assert code_settings.body_code(body).settings_revision == 0


@pytest.mark.parametrize(
    ("persona", "status"),
    [("committee_member", 403), ("other_body_admin", 403), ("signed_in_no_role", 403)],
)
def test_only_editors_set_the_prefix(client, personas, cesp, persona, status):
    client.force_login(personas[persona])
    response = client.post(
        reverse("codes_staff:settings", kwargs={"org": "guild"}),
        {"citation_prefix": "NO", "parsing_profile": "", "revision": "1"},
    )
    assert response.status_code == status
    assert citation_prefix(code_settings.body_code(cesp)) == "CESP"


@pytest.mark.parametrize("prefix", ["x" * 31, "CE\x07SP"])
def test_an_unusable_prefix_is_refused(body, prefix):
    with pytest.raises(CodeError):
        code_settings.code_settings_update(
            organization=body, citation_prefix=prefix, parsing_profile="", revision=None
        )


def test_a_profiles_prefix_becomes_the_codes_when_the_form_leaves_it_empty(body, published):
    code = code_settings.code_settings_update(
        organization=body,
        citation_prefix="",
        parsing_profile='citation_prefix = "GCP"',
        revision=0,
    )
    assert (code.citation_prefix, code.settings_revision) == ("GCP", 1)


def test_the_demo_cites_espccs_code_as_cesp_as_its_guides_do(demo, client):
    from ombuds.bodies.models import Organization

    espcc = Organization.objects.get(slug="espcc")
    assert cite(espcc, "3.8") == "CESP 3.8"
    assert client.get("/api/v1/bodies/espcc/code/provisions/3.8").json()["cite_as"] == "CESP 3.8"
    csec = Organization.objects.get(slug="csec")
    assert cite(csec, "1.2(c)") == "CSEC 1.2(c)"  # CSEC's members cite it by the body's name


# A file's own prefix (the interchange export's "citation_prefix") on import ------------------------


def _exported(version, prefix: str | None) -> bytes:
    from ombuds.codes import exports

    data = exports.version_to_dict(version)
    if prefix is None:
        data.pop("citation_prefix")
    else:
        data["citation_prefix"] = prefix
    return json.dumps(data).encode()


def _import(organization, data: bytes, label: str = "copy"):
    from ombuds.codes import services

    parsed = services.read_code_file(data, filename="export.json")
    version, _ = services.code_version_import(
        organization=organization, parsed=parsed, source=data, label=label
    )
    return version


def test_a_json_export_brings_its_prefix_to_a_body_that_chose_none(cesp, published, other_body):
    version = _import(other_body, _exported(published, "CESP"))
    assert cite(other_body, "1.2") == "CESP 1.2"
    assert version.warnings == []
    event = Event.objects.filter(action="code.settings_changed", organization=other_body).get()
    assert event.subject_id == str(version.code_id)


def test_the_json_of_a_body_that_never_chose_changes_nothing_back_home(body, published):
    data = _exported(published, None)
    assert json.loads(_exported(published, "GOE"))["citation_prefix"] == "GOE"
    _import(body, _exported(published, "GOE"))
    _import(body, data, label="again")
    assert code_settings.body_code(body).citation_prefix == ""  # still the short name, not pinned
    assert not Event.objects.filter(action="code.settings_changed").exists()


def test_a_prefix_the_body_chose_is_kept_and_the_files_is_said(cesp, published):
    version = _import(cesp, _exported(published, "GUILD"))
    assert cite(code_settings.body_code(cesp), "1.2") == "CESP 1.2"
    assert version.warnings == [
        "the file cites its provisions as “GUILD 1.1”; the code keeps the prefix the body "
        "chose, “CESP” (change it in the code's settings)"
    ]


def test_a_profile_given_with_the_import_wins_over_the_files_prefix(body, published):
    from ombuds.codes import services

    data = _exported(published, "GUILD")
    services.code_version_import(
        organization=body,
        parsed=services.read_code_file(data, filename="export.json"),
        source=data,
        label="copy",
        profile_text='citation_prefix = "GCP"',
    )
    assert citation_prefix(code_settings.body_code(body)) == "GCP"


@pytest.mark.parametrize("prefix", ["x" * 31, "CE\x07SP", 12])
def test_a_file_with_an_unusable_prefix_is_refused_and_nothing_stored(body, published, prefix):
    from ombuds.codes.models import CodeVersion

    with pytest.raises(CodeError, match="prefix"):
        _import(body, _exported(published, prefix))
    assert CodeVersion.objects.count() == 1
    assert code_settings.body_code(body).citation_prefix == ""


def test_the_import_preview_cites_with_the_files_prefix(client, personas, other_body, published):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(personas["other_body_admin"])
    upload = SimpleUploadedFile("export.json", _exported(published, "CESP"))
    html = client.post(
        reverse("codes_staff:versions", kwargs={"org": "other"}), {"file": upload, "profile": ""}
    ).content.decode()
    assert "CESP 1.1(a)" in html and "OC 1.1(a)" not in html
