"""Every page of a body reads it by its slug (`organization_get`, a hand-written query) and shows
its header's links (`body_nav`, rendered once per body and language in a process): the body read
is the ORM's to the last field, and one body's or language's links never show on another's page."""

from __future__ import annotations

import pytest
from django.template import engines
from django.urls import set_script_prefix
from django.utils import translation

from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import organization_get

pytestmark = pytest.mark.django_db


def test_the_body_read_by_its_slug_is_the_orms_field_by_field():
    Organization.objects.create(
        slug="guild",
        name="Guild of Examples",
        acronym="GOE",
        time_zone="America/Chicago",
        languages="en,es",
        about="## Who\n\nWe are.",
    )
    ours, orms = organization_get("guild"), Organization.objects.get(slug="guild")
    for field in Organization._meta.concrete_fields:
        assert getattr(ours, field.attname) == getattr(orms, field.attname), field.name
        assert type(getattr(ours, field.attname)) is type(getattr(orms, field.attname)), field.name
    assert ours.created_at.tzinfo is not None
    assert ours._state.adding is False and ours._state.db == "default"
    assert organization_get("nobody") is None
    assert organization_get("guild'; --") is None


def test_each_body_and_language_has_its_own_header_links():
    nav = engines["django"].from_string("{% load ombuds_chrome %}{% body_nav body %}")
    first = Organization.objects.create(slug="first", name="First Council", acronym="FC")
    second = Organization.objects.create(slug="second", name="Second Guild", acronym="SG")
    with translation.override("es"):
        first_es = nav.render({"body": first})
    with translation.override("en"):
        second_en = nav.render({"body": second})
        first_en = nav.render({"body": first})
    assert "/first/" in first_es and "/second/" not in first_es
    assert "/second/" in second_en and "/first/" not in second_en and "FC" not in second_en
    assert first_en != first_es  # the same body, in another language
    assert ">Register<" in first_en and ">Register<" not in first_es
    Organization.objects.filter(pk=first.pk).update(acronym="FCX")
    with translation.override("en"):
        renamed = nav.render({"body": Organization.objects.get(pk=first.pk)})
    assert "FCX" in renamed  # a new short name is a new entry, never the old one
    assert nav.render({"body": None}) == ""


def test_the_sites_own_links_follow_the_address_it_is_served_under():
    link = engines["django"].from_string("{% load ombuds_chrome %}{% site_url 'login' %}")
    assert link.render({}) == "/accounts/login/"
    set_script_prefix("/ombuds/")  # served under a path of a larger site
    try:
        assert link.render({}) == "/ombuds/accounts/login/"
    finally:
        set_script_prefix("/")
    assert link.render({}) == "/accounts/login/"


def test_signing_in_comes_back_to_the_page_unless_its_address_is_a_personal_link(rf):
    link = engines["django"].from_string("{% load ombuds_chrome %}{% sign_in_url %}")
    page = rf.get("/guild/register/", {"q": "Ann Smith", "page": "2"})
    assert link.render({"request": page}) == (
        "/accounts/login/?next=/guild/register/%3Fq%3DAnn%2BSmith%26page%3D2"
    )
    for secret in ("/respond/t0k3n/", "/guild/client-complaints/7/", "/invitation/abc/"):
        assert link.render({"request": rf.get(secret)}) == "/accounts/login/"
    assert link.render({"request": rf.get("/accounts/reset/MQ/set-password/")}) == (
        "/accounts/login/"
    )
