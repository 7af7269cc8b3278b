"""Ombuds' own deployment checks (`ombuds check --deploy`): each warns when its setting is wrong for
production and is silent when it is right; and the production recipe in docs/deployment.md passes
them all."""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import Client, override_settings

from ombuds.core.checks import master_key_problem

DOCS = Path(__file__).parents[2] / "docs" / "deployment.md"
KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
POSTGRES = {"ENGINE": "django.db.backends.postgresql", "NAME": "ombuds"}
SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": "ombuds.sqlite3"}
# Everything right for production: each test turns one setting wrong.
RIGHT = {
    "DEBUG": False,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "OMBUDS_TRUSTED_PROXIES": 1,
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "OMBUDS_MASTER_KEY": KEY,
    "OMBUDS_TIME_ZONE_SET": True,
    "TIME_ZONE": "Europe/Dublin",
    "OMBUDS_AUDIT_CHECKPOINT_DIR": "/srv/ombuds-checkpoints",
    "OMBUDS_AUDIT_SIGNING_KEY_FILE": "/etc/ombuds/audit-signing.pem",
}
# Served directly, with no proxy trusted: the runtime check is then the one that can speak.
NO_PROXY = {"DATABASES": POSTGRES, "OMBUDS_TRUSTED_PROXIES": 0, "SECURE_PROXY_SSL_HEADER": None}


def ombuds_warnings(**wrong) -> dict[str, str]:
    """The ids and messages of Ombuds' deploy checks with RIGHT, changed by `wrong`."""
    databases = wrong.pop("DATABASES", None)
    with override_settings(**{**RIGHT, **wrong}):
        if databases is not None:
            # DATABASES cannot be overridden (connections are made from it); the check reads it.
            from django.conf import settings

            saved = settings.DATABASES["default"]
            settings.DATABASES["default"] = databases
        try:
            messages = run_checks(include_deployment_checks=True)
        finally:
            if databases is not None:
                settings.DATABASES["default"] = saved
    return {m.id: m.msg for m in messages if m.id and m.id.startswith("ombuds.")}


def test_a_production_configuration_passes_every_check():
    assert ombuds_warnings(DATABASES=POSTGRES) == {}


def test_a_proxy_without_trusted_proxies_is_named():
    found = ombuds_warnings(DATABASES=POSTGRES, OMBUDS_TRUSTED_PROXIES=0)
    assert list(found) == ["ombuds.W001"]
    assert "one bucket for the whole site" in found["ombuds.W001"]
    # No proxy at all, no trusted proxies: nothing to say.
    assert ombuds_warnings(**NO_PROXY) == {}


@pytest.mark.django_db
def test_a_request_through_an_unknown_proxy_is_noted_for_the_check(caplog):
    """Runtime: a request arrives with X-Forwarded-For while OMBUDS_TRUSTED_PROXIES is 0."""
    with override_settings(OMBUDS_TRUSTED_PROXIES=0):
        Client().get("/healthz")  # no proxy header: nothing noted
        assert ombuds_warnings(**NO_PROXY) == {}
        Client().get("/healthz", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert "OMBUDS_TRUSTED_PROXIES is 0" in caplog.text
    found = ombuds_warnings(**NO_PROXY)
    assert list(found) == ["ombuds.W002"]
    # Once the proxy is trusted, what was seen before no longer matters.
    assert ombuds_warnings(DATABASES=POSTGRES) == {}


@pytest.mark.django_db
def test_a_trusted_proxy_notes_nothing(caplog):
    with override_settings(OMBUDS_TRUSTED_PROXIES=1):
        Client().get("/healthz", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert "X-Forwarded-For" not in caplog.text
    assert ombuds_warnings(**NO_PROXY) == {}


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    ],
)
def test_mail_that_is_not_delivered_is_named(backend):
    found = ombuds_warnings(DATABASES=POSTGRES, EMAIL_BACKEND=backend)
    assert list(found) == ["ombuds.W003"]
    assert "password-reset" in found["ombuds.W003"]
    # A developer's machine may print its mail.
    assert ombuds_warnings(DATABASES=POSTGRES, EMAIL_BACKEND=backend, DEBUG=True) == {}


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "not set"),
        ("not base64 at all!", "not base64"),
        (base64.urlsafe_b64encode(b"short").decode(), "5 bytes, not 32"),
    ],
)
def test_a_missing_or_malformed_master_key_is_named(key, problem):
    found = ombuds_warnings(DATABASES=POSTGRES, OMBUDS_MASTER_KEY=key)
    assert list(found) == ["ombuds.W004"]
    assert problem in found["ombuds.W004"]
    assert ombuds_warnings(DATABASES=POSTGRES, OMBUDS_MASTER_KEY=key, DEBUG=True) == {}


def test_a_well_formed_master_key_passes():
    assert master_key_problem(KEY) is None


def test_a_previous_master_key_left_configured_is_named():
    found = ombuds_warnings(DATABASES=POSTGRES, OMBUDS_MASTER_KEY_PREVIOUS_FILE="/etc/ombuds/old")
    assert list(found) == ["ombuds.W007"]
    assert "still opens the data keys" in found["ombuds.W007"]


def test_sqlite_in_production_is_named():
    found = ombuds_warnings(DATABASES=SQLITE)
    assert list(found) == ["ombuds.W005"]
    assert ombuds_warnings(DATABASES=SQLITE, DEBUG=True) == {}


def test_a_time_zone_left_at_its_default_is_named():
    found = ombuds_warnings(DATABASES=POSTGRES, OMBUDS_TIME_ZONE_SET=False, TIME_ZONE="UTC")
    assert list(found) == ["ombuds.W006"]
    # UTC chosen on purpose is a time zone like any other.
    assert ombuds_warnings(DATABASES=POSTGRES, TIME_ZONE="UTC") == {}


def test_the_checks_are_shown_by_check_deploy_only(capsys, monkeypatch):
    # The browser tests' worker allows async-unsafe calls while Chromium runs, which Django's own
    # deploy check reports as an error; this test is about Ombuds' warnings.
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    with override_settings(**{**RIGHT, "OMBUDS_MASTER_KEY": ""}):
        call_command("check")
        assert "ombuds.W004" not in capsys.readouterr().err
        call_command("check", deploy=True)
    out = capsys.readouterr()
    assert "ombuds.W004" in out.out + out.err


# --- the recipe -----------------------------------------------------------------------------------


def recipe_environment(tmp_path: Path) -> dict[str, str]:
    """The environment file of docs/deployment.md, its secret files made under tmp_path."""
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"# /etc/ombuds/ombuds\.env\n(.*?)```", text, re.S)
    assert block, "docs/deployment.md has no /etc/ombuds/ombuds.env block"
    env = {}
    for line in block.group(1).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    secret_files = {
        "SECRET_KEY_FILE": secrets.token_urlsafe(50),
        "OMBUDS_MASTER_KEY_FILE": KEY,
        "OMBUDS_EMAIL_PASSWORD_FILE": "mail password",
    }
    for name, value in secret_files.items():
        assert name in env, f"the recipe does not set {name}"
        (tmp_path / name).write_text(value, encoding="utf-8")
        env[name] = str(tmp_path / name)
    env["OMBUDS_DATA_DIR"] = str(tmp_path / "data")
    return env


def test_the_production_recipe_sets_every_check_right(tmp_path):
    env = recipe_environment(tmp_path)
    assert env["OMBUDS_TRUSTED_PROXIES"] == "1"
    assert env["SECURE_PROXY_SSL"] == "true"
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["OMBUDS_EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert env["TIME_ZONE"]
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    result = subprocess.run(
        [sys.executable, "-m", "ombuds.cli", "check", "--deploy"],
        env={**keep, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Only HSTS for subdomains and the preload list remain: decisions about the body's whole domain
    # that the recipe leaves to the operator (docs/deployment.md says so).
    found = set(re.findall(r"\((\w+\.[A-Z]\d+)\)", result.stdout + result.stderr))
    assert found == {"security.W005", "security.W021"}, result.stdout + result.stderr
