"""Every page carries a Content-Security-Policy that allows nothing from other origins and no inline
script or style, and a Permissions-Policy refusing the browser features no page uses; the templates
hold nothing that policy would refuse; the API reference pages load only our own static files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, override_settings

TEMPLATES = Path(__file__).parents[2] / "ombuds" / "templates"


def policy(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy, directive by directive."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def pages(body) -> list[str]:
    org = body.slug
    return [
        "/",
        f"/{org}/",
        f"/{org}/code/",
        f"/{org}/code/search/?q=client",
        f"/{org}/register/?q=Smith",
        f"/{org}/complain/",
        f"/{org}/complain/follow-up/",
        "/accounts/login/",
        "/accounts/password_reset/",
        "/api/v1/docs",
        "/api/v1/bodies",
        "/healthz",
        "/livez",
        "/no-such-page/",
    ]


@pytest.mark.django_db
def test_every_page_allows_nothing_from_other_origins(client, body, published):
    for url in pages(body):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        csp = policy(response)
        assert csp["default-src"] == ["'self'"], url
        assert csp["script-src"] == ["'self'"], url
        assert csp["style-src"] == ["'self'"], url
        assert csp["img-src"] == ["'self'", "data:"], url
        assert csp["object-src"] == ["'none'"], url
        assert csp["frame-ancestors"] == ["'none'"], url
        assert csp["form-action"] == ["'self'"], url
        assert csp["base-uri"] == ["'none'"], url
        # No other origin, no wildcard, no inline code, no eval anywhere in the policy.
        values = {v for vs in csp.values() for v in vs}
        assert values <= {"'self'", "'none'", "data:"}, (url, values)


@pytest.mark.django_db
def test_every_page_refuses_the_browser_features_none_uses(client, body, published):
    for url in pages(body):
        features = dict(
            item.split("=", 1) for item in client.get(url)["Permissions-Policy"].split(", ")
        )
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert features[feature] == "()", (url, feature)


@pytest.mark.django_db
def test_the_redoc_page_alone_allows_inline_styles_and_still_no_other_origin(client):
    csp = policy(client.get("/api/v1/redoc"))
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["worker-src"] == ["blob:"]
    assert not [v for vs in csp.values() for v in vs if "://" in v or v == "*"]


def test_no_template_holds_an_inline_script_or_style():
    """The policy refuses inline scripts, event-handler attributes and inline styles: none of our
    templates may rely on them (a JSON data block is not a script)."""
    offences = []
    for path in TEMPLATES.rglob("*.html"):
        if path.parent.name == "email":
            continue  # an email's HTML part: mail clients need inline styles, and no CSP applies
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"))  # comments say anything
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                offences.append(f"{path.name}: {tag}")
        if re.search(r"<style\b", text):
            offences.append(f"{path.name}: <style>")
        offences += [f"{path.name}: {m}" for m in re.findall(r"\sstyle=\"", text)]
        offences += [f"{path.name}: {m}" for m in re.findall(r"\son[a-z]+=\"", text)]
    assert offences == []


# --- the API reference ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/docs", "/api/v1/redoc"])
def test_the_api_reference_loads_only_our_own_static_files(url):
    with override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True):
        client = Client()  # a new handler, so that WhiteNoise reads the settings above
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        # No address of another origin anywhere in the page (it once loaded Swagger UI from a CDN).
        assert re.findall(r"https?://", html) == []
        assert re.findall(r"""(?:src|href)=["']//""", html) == []
        assets = re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", html)
        assert any(a.endswith(".js") for a in assets)
        for asset in assets:
            assert finders.find(asset.removeprefix("/static/")), asset
            served = client.get(asset)
            assert served.status_code == 200, asset
            assert b"".join(served.streaming_content), asset


@pytest.mark.django_db
def test_swagger_ui_asks_no_validator_elsewhere(client):
    html = client.get("/api/v1/docs").content.decode()
    assert '"validatorUrl": null' in html
