"""The admin a deployment's administrator opens: branded, every model they would look up listed
under a readable name, read-only where a change must go through a service, and never showing a
second-factor secret or what a complainant wrote."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

pytestmark = pytest.mark.django_db

READ_ONLY = [
    "cases.case",
    "cases.casedeadline",
    "members.attestationcampaign",
    "members.attestation",
    "compliance.return",
    "compliance.finding",
    "certification.application",
    "audit.event",
    "accounts.invitation",
    "otp_static.staticdevice",
    "otp_totp.totpdevice",
    "codes.code",
    "codes.codeversion",
    "codes.provision",
]


@pytest.fixture
def root(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    return user


def test_the_admin_is_ombuds_and_names_things_in_words(client, root):
    page = client.get("/admin/").content.decode()
    assert "Ombuds administration" in page and "Django administration" not in page
    assert "Second factor: recovery codes" in page and "OTP_STATIC" not in page
    assert "People" in page and "Persons" not in page
    for label in ("Cases", "Attestation campaigns", "Findings", "Applications", "Events"):
        assert label in page, label


@pytest.mark.parametrize("model", READ_ONLY)
def test_records_changed_by_services_are_read_only_in_the_admin(client, root, model):
    app, name = model.split(".")
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert model in registered
    listing = client.get(f"/admin/{app}/{name}/")
    assert listing.status_code == 200
    assert client.get(f"/admin/{app}/{name}/add/").status_code == 403


def test_recovery_codes_are_never_shown(client, root):
    device = StaticDevice.objects.create(user=root, name="backup", confirmed=True)
    StaticToken.objects.create(device=device, token="k7q2m9x4")
    for url in (
        "/admin/otp_static/staticdevice/",
        f"/admin/otp_static/staticdevice/{device.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert "k7q2m9x4" not in response.content.decode()


def test_people_without_the_superuser_flag_do_not_get_in(client, django_user_model):
    user = django_user_model.objects.create_user("nora", "n@example.org", "pw")
    client.force_login(user)
    assert client.get("/admin/cases/case/").status_code == 302
