"""Two languages to start: every word of the public pages listed here goes through Django's
translation machinery, the Spanish catalogue is compiled from its source, the visitor's choice or
browser picks the language, and a body's languages and time zone are its own."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.template import engines
from django.utils import timezone, translation

import ombuds
from ombuds.bodies import services as bodies
from ombuds.bodies.models import Organization
from ombuds.cases.models import BodyProcedure

TEMPLATES = Path(ombuds.__file__).parent / "templates"
CATALOGUE = Path(ombuds.__file__).parent / "locale" / "es" / "LC_MESSAGES" / "django.po"

# The pages the public meets (and the pieces they are made of), in every language offered.
PUBLIC_TEMPLATES = [
    "base.html",
    "includes/error_summary.html",
    "includes/field.html",
    "includes/language_switch.html",
    "cases/complain.html",
    "cases/complainant.html",
    "cases/followup.html",
    "cases/followup_sign_in.html",
    "cases/closed.html",
    "codes/body_home.html",
    "codes/version_detail.html",
    "codes/search.html",
    "codes/_search_form.html",
    "codes/_search_results.html",
    "codes/_search_status.html",
    "register/search.html",
    "register/_search_form.html",
    "credentials/verify.html",
    "members/first_tier/complain.html",
    "404.html",
    "500.html",
    "includes/site_search.html",
    "cases/filed.html",
    "core/home.html",
    "core/search.html",
]

_MARKED = re.compile(
    r"{%\s*blocktranslate\b.*?%}.*?{%\s*endblocktranslate\s*%}"
    r"|{%\s*translate\s+\".*?\"(?:\s+as\s+\w+)?\s*%}",
    re.S,
)
_CODE = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}|<!--.*?-->|<(script|style)\b.*?</\1>", re.S)
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&[a-z]+;|&#\d+;")


# Names, not words: the product's name is the same in every language.
NAMES = {"Ombuds", "· Ombuds"}


def unmarked_text(source: str) -> list[str]:
    """The words a template shows that no translation tag holds (attribute values included: a
    visible attribute such as aria-label or title must be marked too)."""
    text = _MARKED.sub(" ", source)
    text = _CODE.sub(" ", text)
    attributes = re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', text)
    text = _TAG.sub(" ", text)
    text = _ENTITY.sub(" ", text)
    pieces = [piece.strip() for piece in re.split(r"\n|\s{2,}", text)] + attributes
    return [p for p in pieces if re.search(r"[A-Za-z]{2,}", p) and p not in NAMES]


@pytest.mark.parametrize("name", PUBLIC_TEMPLATES)
def test_no_unmarked_words_in_the_public_templates(name):
    assert unmarked_text((TEMPLATES / name).read_text(encoding="utf-8")) == []


def test_the_checker_finds_an_unmarked_word():
    assert unmarked_text('<p>Hello</p>{% translate "Fine" %}') == ["Hello"]
    assert unmarked_text('<a title="Open it">{% translate "x" %}</a>') == ["Open it"]
    assert unmarked_text("{% blocktranslate %}Fine {{ x }}{% endblocktranslate %}") == []


def _catalogue() -> list[tuple[str, str]]:
    """(msgid, msgstr) of the singular entries of the Spanish catalogue's source."""

    def unquote(lines: str) -> str:
        text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', lines))
        return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")

    entries = []
    for block in CATALOGUE.read_text(encoding="utf-8").split("\n\n"):
        found = re.search(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', block + "\n", re.M)
        if found and unquote(found.group(1)):
            entries.append((unquote(found.group(1)), unquote(found.group(2))))
    return entries


def test_every_spanish_string_is_translated_and_compiled():
    entries = _catalogue()
    assert len(entries) > 150
    untranslated = [msgid for msgid, msgstr in entries if not msgstr]
    assert untranslated == []
    with translation.override("es"):
        stale = [m for m, s in entries if translation.gettext(m) != s]
    assert stale == [], "django.mo is older than django.po: run compilemessages"


@pytest.fixture
def taking_complaints(body, published):
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    return body


@pytest.mark.django_db
def test_the_complaint_form_in_spanish(client, taking_complaints):
    body = taking_complaints
    page = client.get(f"/{body.slug}/complain/", HTTP_ACCEPT_LANGUAGE="es")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="es">' in html
    assert "Presentar una queja ante" in html and "Quiero permanecer en el anonimato" in html
    assert "Make a complaint" not in html
    refused = client.post(f"/{body.slug}/complain/", {"who": "named"}, HTTP_ACCEPT_LANGUAGE="es")
    text = refused.content.decode()
    assert "<title>Error:" in text and "Hay problemas" in text
    assert "Cuente qué ocurrió." in text and "Say what happened." not in text


@pytest.mark.django_db
def test_the_visitors_choice_is_kept(client, taking_complaints):
    body = taking_complaints
    chosen = client.get(f"/language/es/?next=/{body.slug}/complain/", follow=True)
    assert chosen.redirect_chain == [(f"/{body.slug}/complain/", 302)]
    assert "Presentar una queja" in chosen.content.decode()
    # Only to this site's own pages.
    assert client.get("/language/es/?next=https://elsewhere.example/")["Location"] == "/"
    assert client.get("/language/xx/").status_code == 404
    assert "Presentar una queja" in client.get(f"/{body.slug}/complain/").content.decode()
    english = client.get(f"/{body.slug}/complain/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Presentar una queja" in english.content.decode(), "the choice outranks the browser"


@pytest.mark.django_db
def test_a_body_offers_its_own_languages(client, taking_complaints):
    body = taking_complaints
    assert "/language/es/" not in client.get(f"/{body.slug}/complain/").content.decode()
    bodies.profile_save(organization=body, values={"languages": "en, es"})
    html = client.get(f"/{body.slug}/complain/").content.decode()
    assert f'href="/language/es/?next=/{body.slug}/complain/"' in html and 'hreflang="es"' in html
    # A personal link's address (a secret) is never repeated in the switch.
    assert "?next=" not in client.get("/respond/some-secret-token/").content.decode()


@pytest.mark.django_db
def test_a_body_chooses_languages_and_a_time_zone_that_exist(body):
    with pytest.raises(bodies.ChangeRefused) as refused:
        bodies.profile_save(
            organization=body, values={"languages": "en, xx", "time_zone": "Mars/Olympus"}
        )
    problems = str(refused.value.errors)
    assert "xx" in problems and "Mars/Olympus" in problems
    body.refresh_from_db()
    assert body.languages == "en" and body.time_zone == ""


@pytest.mark.django_db
def test_times_on_a_bodys_pages_are_in_its_zone_with_the_zone(body):
    bodies.profile_save(organization=body, values={"time_zone": "America/Chicago"})
    from ombuds.bodies.access import body_or_404

    moment = dt.datetime(2026, 7, 1, 3, 30, tzinfo=dt.UTC)
    try:
        body_or_404(body.slug)
        rendered = engines["django"].from_string('{{ t|date:"j F Y H:i T" }}').render({"t": moment})
    finally:
        timezone.deactivate()
    assert rendered == "30 June 2026 22:30 CDT"
    assert Organization.objects.get(pk=body.pk).time_zone == "America/Chicago"
