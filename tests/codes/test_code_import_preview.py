"""Importing a code: upload, see every citation and warning, then confirm; the profile is kept."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ombuds.codes import code_settings
from ombuds.codes.models import CodeVersion

pytestmark = pytest.mark.django_db

TEXT = (
    b"Guild Code\nMembers' area | Log in\nEffective: 03/01/18\n"
    b"ARTICLE 1 - FEES\n1.1 Members shall publish fees.\n\nA stray paragraph.\n\n"
    b"1.2 Members shall not hide fees.\n"
)
PROFILE = 'citation_prefix = "GC"\ndebris = ["log in"]\n'


@pytest.fixture
def staff_client(client, personas):
    client.force_login(personas["body_staff"])
    return client


def _upload(staff_client, profile: str = "", **extra):
    upload = SimpleUploadedFile("guild.txt", TEXT, content_type="text/plain")
    return staff_client.post(
        reverse("codes_staff:versions", kwargs={"org": "guild"}),
        {"file": upload, "profile": profile, **extra},
    )


def _confirm_data(html: str) -> dict:
    """The confirm form's fields as the page fills them in."""
    form = html[html.index('action="/staff/guild/codes/import"') :]
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    data["profile"] = re.search(r'<textarea name="profile"[^>]*>\n?(.*?)</textarea>', form, re.S)[1]
    data["profile"] = data["profile"].replace("&quot;", '"')
    data["label"] = re.search(r'name="label"(?: value="([^"]*)")?', form)[1] or ""
    return data


def test_the_preview_shows_citations_and_warnings_and_stores_nothing(staff_client, body):
    response = _upload(staff_client, PROFILE, label="v1")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview the import" in html
    assert "GC 1.1" in html and "GC 1.2" in html  # as members will cite them
    assert "line 7: a paragraph between 1.1 (line 5) and 1.2 (line 9)" in html
    assert "2018-03-01" in html
    assert "Log in" not in html.split("Citations")[1]  # the profile's debris is gone
    assert not CodeVersion.objects.exists()


def test_confirming_imports_what_was_previewed_and_keeps_the_profile(staff_client, body):
    data = _confirm_data(_upload(staff_client, PROFILE, label="v1").content.decode())
    assert data["label"] == "v1"
    response = staff_client.post(
        reverse("codes_staff:import_confirm", kwargs={"org": "guild"}),
        {**data, "action": "import"},
        follow=True,
    )
    assert "Imported version v1." in response.content.decode()
    version = CodeVersion.objects.get()
    assert version.effective_date.isoformat() == "2018-03-01"
    code = code_settings.body_code(body)
    assert code.parsing_profile.strip() == PROFILE.strip()
    assert code.citation_prefix == "GC"
    # The next import starts from the kept profile.
    page = staff_client.get(reverse("codes_staff:versions", kwargs={"org": "guild"}))
    assert "debris = [&quot;log in&quot;]" in page.content.decode()


def test_a_changed_profile_is_previewed_again_before_anything_is_imported(staff_client, body):
    data = _confirm_data(_upload(staff_client, "", label="v1").content.decode())
    response = staff_client.post(
        reverse("codes_staff:import_confirm", kwargs={"org": "guild"}),
        {**data, "profile": PROFILE, "action": "import"},
    )
    assert response.status_code == 200
    assert "GC 1.1" in response.content.decode()
    assert not CodeVersion.objects.exists()


def test_a_bad_profile_is_refused_with_every_problem_on_the_upload_form(staff_client, body):
    response = _upload(staff_client, 'styles = ["verse"]\nnoise = 1\n')
    html = response.content.decode()
    assert response.status_code == 400 and 'class="error-summary"' in html
    assert "unknown style" in html and "noise: unknown key" in html


def test_an_expired_or_forged_preview_imports_nothing(staff_client, body):
    response = staff_client.post(
        reverse("codes_staff:import_confirm", kwargs={"org": "guild"}),
        {"staged": "0" * 64, "source_name": "x.txt", "previewed": "", "action": "import"},
        follow=True,
    )
    assert "The preview has expired" in response.content.decode()
    assert not CodeVersion.objects.exists()


def test_another_persons_preview_cannot_be_confirmed(client, personas, body):
    client.force_login(personas["body_staff"])
    data = _confirm_data(_upload(client, "", label="v1").content.decode())
    client.force_login(personas["body_admin"])
    response = client.post(
        reverse("codes_staff:import_confirm", kwargs={"org": "guild"}),
        {**data, "action": "import"},
        follow=True,
    )
    assert "The preview has expired" in response.content.decode()
    assert not CodeVersion.objects.exists()
