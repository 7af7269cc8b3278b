"""The whole-database grep: after a full anonymous filing and follow-up, neither the client's address
nor its user agent is anywhere (any table, any column, the engine's own dump, the data folder, the
logs written meanwhile); and after a named complainant's closed case is purged at the end of its
retention period, or erased on request, neither their name, their email address nor their file's
name is.

Each run is committed (a transactional test) so that `pg_dump` sees it on PostgreSQL; on SQLite the
connection's own dump (`iterdump`) is read. Signed or compressed values (Django's sessions, any
base64 text) are opened before they are searched, as someone reading the database would."""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import logging
import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from ombuds.cases import services
from ombuds.cases.models import Case
from tests.cases import conftest as cases_fixtures
from tests.cases.conftest import PDF, take

csec = cases_fixtures.csec  # the body taking complaints, its people and respondents

IP, AGENT = "203.0.113.77", "GrepMe-UA/9.9"
NAME, EMAIL, FILE_NAME = "Zebulon Quixote", "zq@example.test", "zq-private-notes.pdf"
PASSPHRASE = "correct horse battery staple"
B64 = re.compile(rb"[A-Za-z0-9+/_\-]{16,}={0,2}")


def _opened(blob: bytes) -> list[bytes]:
    """The blob, and what base64 and zlib inside it read as (a session, a signed value)."""
    found = [blob]
    for match in B64.finditer(blob):
        token = match.group()
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decode(token + b"=" * (-len(token) % 4))
            except (binascii.Error, ValueError):
                continue
            found.append(raw)
            with contextlib.suppress(zlib.error):
                found.append(zlib.decompress(raw))
    return found


def _rows() -> dict[str, bytes]:
    """Every table's rows, every column, as bytes (table name: its text)."""
    dumped = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            cells = []
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview):
                        value = value.tobytes()
                    cells.append(value if isinstance(value, bytes) else str(value).encode())
            dumped[table] = b"\n".join(cells)
    return dumped


def _engine_dump() -> bytes:
    """The engine's own dump: SQLite's iterdump, or pg_dump of the test database."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return "\n".join(connection.connection.iterdump()).encode()
    if connection.vendor == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            pytest.fail("pg_dump is not installed: the PostgreSQL dump cannot be searched")
        params = connection.get_connection_params()
        env = {**os.environ, "PGPASSWORD": str(params.get("password") or "")}
        command = [pg_dump, "--data-only", "--no-owner", "-d", params["dbname"]]
        for flag, name in (("-h", "host"), ("-p", "port"), ("-U", "user")):
            if params.get(name):
                command += [flag, str(params[name])]
        return subprocess.run(command, env=env, capture_output=True, check=True).stdout
    pytest.fail(f"no dump for {connection.vendor}")


def _files() -> dict[str, bytes]:
    """Every file under the data folder (uploads included), by path."""
    root = Path(settings.DATA_DIR)
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _where(needles: list[str], caplog) -> list[str]:
    """Where any of the needles is found: 'table <name>', 'dump', 'file <path>', 'log'."""
    places: dict[str, bytes] = {f"table {t}": text for t, text in _rows().items()}
    places["engine dump"] = _engine_dump()
    places |= {f"file {p}": data for p, data in _files().items()}
    places["log"] = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
    ).encode()
    found = []
    for place, blob in places.items():
        opened = _opened(blob)
        for needle in needles:
            variants = {needle.encode(), needle.lower().encode()}
            if any(v in text for text in opened for v in variants):
                found.append(f"{needle!r} in {place}")
    return found


@pytest.fixture
def browser(client):
    """A client that always comes from one address with one user agent."""
    client.defaults.update(REMOTE_ADDR=IP, HTTP_USER_AGENT=AGENT)
    return client


def _complaint(**changes) -> dict:
    data = {
        "who": "anonymous",
        "complainant_name": "",
        "complainant_email": "",
        "complainant_phone": "",
        "passphrase": PASSPHRASE,
        "passphrase_again": PASSPHRASE,
        "complainant_relation": "client",
        "respondent_kind": "agency",
        "respondent_name": "Rogue Collections Inc",
        "respondent_number": "",
        "respondent_details": "",
        "happened_on": "2026-03-02",
        "happened_until": "",
        "what_happened": "They kept my support payment for three months.",
        "outcome_sought": "The payment.",
        "submission_key": os.urandom(16).hex(),
    }
    data.update(changes)
    return data


def _file_through_the_form(browser, csec, data: dict, files: list) -> Case:
    url = reverse("cases:complain", kwargs={"org": csec.org.slug})
    assert browser.get(url).status_code == 200
    response = browser.post(url, {**data, "files": files})
    assert response.status_code == 302, response.content.decode()[:2000]
    filed = browser.get(response["Location"])
    assert filed.status_code == 200
    case = Case.objects.get(reference=response["Location"].rstrip("/").rsplit("/", 1)[-1])
    case.receipt_shown = re.search(
        r'class="receipt-code"><strong[^>]*>([^<]+)</strong>', filed.content.decode()
    )
    return case


@pytest.mark.django_db(transaction=True)
def test_an_anonymous_filing_and_follow_up_leave_no_address_and_no_user_agent(
    browser, csec, caplog
):
    caplog.set_level(logging.DEBUG)
    case = _file_through_the_form(
        browser, csec, _complaint(), [SimpleUploadedFile("evidence.pdf", PDF)]
    )
    assert case.anonymous and case.receipt_shown
    followup = reverse("cases:followup", kwargs={"org": csec.org.slug})
    signed_in = browser.post(
        followup, {"receipt_code": case.receipt_shown.group(1), "passphrase": PASSPHRASE}
    )
    assert signed_in.status_code == 302
    assert case.reference in browser.get(followup).content.decode()
    assert (
        browser.post(followup, {"body": "One more thing: it was on a Monday."}).status_code == 302
    )
    browser.post(followup, {"action": "sign_out"})
    assert case.messages.filter(from_party=True).count() == 1
    assert _where([IP, AGENT], caplog) == []


def _closed_named_case(browser, csec) -> Case:
    """A named complainant files through the form (with a file), then the case runs to its end."""
    data = _complaint(
        who="named",
        complainant_name=NAME,
        complainant_email=EMAIL,
        passphrase="",
        passphrase_again="",
        consent_to_share="on",
        what_happened=f"I am {NAME}; they kept my support payment.",
    )
    case = _file_through_the_form(browser, csec, data, [SimpleUploadedFile(FILE_NAME, PDF)])
    assert case.complainant_name == NAME and case.documents.get().original_name == FILE_NAME
    take(case, "acknowledge", csec.chair)
    services.message_post(
        case=case, audience="complainant", body=f"Dear {NAME}, thank you.", acting_user=csec.chair
    )
    take(case, "notify_agency", csec.chair)
    case = take(case, "close_non_member", csec.chair, reasons="Referred to the state regulator.")
    assert case.notices.filter(recipient_email=EMAIL).exists()
    return case


@pytest.mark.parametrize("how", ["retention purge", "erasure on request"])
@pytest.mark.django_db(transaction=True)
def test_after_a_purge_or_an_erasure_nothing_names_the_complainant(
    browser, csec, caplog, settings, how
):
    caplog.set_level(logging.DEBUG)
    case = _closed_named_case(browser, csec)
    assert _where([NAME, EMAIL, FILE_NAME], caplog)  # the search finds them before
    if how == "retention purge":
        settings.OMBUDS_CASE_RETENTION_DAYS = 30
        later = timezone.localdate() + dt.timedelta(days=31)
        assert services.cases_purge_due(today=later) == 1
    else:
        services.case_erase(
            case=case, reason="Asked by letter.", acting_user=csec.chair, expected_version=None
        )
    from ombuds.audit.services import verify

    assert verify().ok
    assert _where([NAME, EMAIL, FILE_NAME], caplog) == []


@pytest.mark.django_db(transaction=True)
def test_the_search_finds_what_hides_in_a_signed_session_a_file_or_a_log(caplog):
    """The search itself: a value in a session (signed, compressed), a stored file or a log line is
    found, so the tests above cannot pass by looking nowhere."""
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["seen"] = {"address": IP, "padding": "x" * 200}  # long enough to be compressed
    store.save()
    assert _where([IP], caplog) == [f"{IP!r} in table django_session", f"{IP!r} in engine dump"]
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    (Path(settings.MEDIA_ROOT) / "kept").write_bytes(AGENT.encode())
    logging.getLogger("ombuds").warning("request from %s", NAME)
    found = _where([AGENT, NAME], caplog)
    assert f"{AGENT!r} in file {Path(settings.MEDIA_ROOT) / 'kept'}" in found
    assert f"{NAME!r} in log" in found
