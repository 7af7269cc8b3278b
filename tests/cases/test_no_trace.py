"""No record of where a complainant came from (issue 12): filing and the anonymous follow-up keep
nothing in Django's session store or in any account's session list; they live in a short-lived
signed cookie of their own, which signing in or out ends; expired sessions are cleared daily; the
public complaint API cannot be called from another site's page."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import http.server
import json
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from ombuds.accounts.models import AccountSession
from ombuds.accounts.sessions import sessions_clear_expired
from ombuds.cases import followup_session, services
from ombuds.cases.models import BodyProcedure, Case
from ombuds.core.models import RateCount
from ombuds.operations import daily
from ombuds.operations.models import DailyRun

PASSPHRASE = "correct horse battery"
ADDRESS = "198.51.100.23"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) TraceMe/1.0"
CLIENT = {"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": BROWSER}
API = "/api/v1/bodies/guild/complaints"


@pytest.fixture
def procedure(body) -> BodyProcedure:
    return BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")


@pytest.fixture
def anonymous_case(body, procedure) -> tuple[Case, str]:
    filed = services.case_file(
        organization=body,
        complaint=services.Complaint(
            what_happened="He shouted at me in the office.",
            respondent_name="Rita Marsh",
            anonymous=True,
            passphrase=PASSPHRASE,
        ),
    )
    return filed.case, filed.receipt_code


@pytest.fixture
def member(django_user_model):
    return django_user_model.objects.create_user("robin", "robin@example.org", "a long password 1")


def _anonymous_form() -> dict:
    return {
        "who": "anonymous",
        "complainant_relation": "client",
        "respondent_kind": "person",
        "respondent_name": "Rita Marsh",
        "happened_on": "2025-03-02",
        "what_happened": "Two of our job coaches were shouted at.",
        "outcome_sought": "An apology.",
        "passphrase": PASSPHRASE,
        "passphrase_again": PASSPHRASE,
        "submission_key": "s" * 32,
    }


def _followup_url(body) -> str:
    return reverse("cases:followup", kwargs={"org": body.slug})


def _follow(client, body, code: str):
    response = client.post(
        _followup_url(body), {"receipt_code": code, "passphrase": PASSPHRASE}, **CLIENT
    )
    assert response.status_code == 302
    return response


def _sign_in(client, user):
    response = client.post(
        "/accounts/login/",
        {"username": user.username, "password": "a long password 1"},
        **CLIENT,
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def _cookie_payload(value: str) -> str:
    """What anyone holding the cookie reads without the secret key (base64 of the JSON)."""
    data = value.split(":")[0]
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode()


def _stored_sessions() -> list[dict]:
    return [s.get_decoded() for s in Session.objects.all()]


# --- filing and following up keep nothing in the session store -------------------------------------


@pytest.mark.django_db
def test_filing_and_following_up_write_no_session_and_no_session_list_row(client, body, procedure):
    filed = client.post(reverse("cases:complain", kwargs={"org": body.slug}), _anonymous_form())
    assert filed.status_code == 302
    case = Case.objects.get()
    page = client.get(filed["Location"], **CLIENT)
    assert case.receipt_code in page.content.decode()
    _follow(client, body, case.receipt_code)
    sent = client.post(_followup_url(body), {"body": "It was on 2 March."}, **CLIENT)
    assert sent.status_code == 302 and case.messages.count() == 1
    assert case.reference in client.get(_followup_url(body), **CLIENT).content.decode()

    # Nothing in Django's session store, nothing on any account's list of sessions.
    assert not Session.objects.exists()
    assert not AccountSession.objects.exists()
    assert "sessionid" not in client.cookies


@pytest.mark.django_db
def test_the_complainants_cookie_is_signed_short_lived_and_holds_no_secret(client, body, procedure):
    filed = client.post(reverse("cases:complain", kwargs={"org": body.slug}), _anonymous_form())
    case = Case.objects.get()
    cookie = filed.cookies[followup_session.COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert not cookie["max-age"]  # forgotten when the browser closes
    payload = json.loads(_cookie_payload(cookie.value))
    # The reference and until when the receipt may be shown again (a reload soon after), no code.
    assert set(payload) == {"filed", "receipt_until"} and payload["filed"] == case.reference
    assert 0 < payload["receipt_until"] - time.time() <= 10 * 60
    assert case.receipt_code not in cookie.value
    # Signed with a salt of its own: a session cookie's signature does not pass for it.
    assert signing.loads(cookie.value, salt=followup_session.SALT) == payload
    with pytest.raises(signing.BadSignature):
        signing.loads(cookie.value, salt="django.contrib.sessions.backends.signed_cookies")
    # The page shows the code; the cookie still never holds it.
    client.get(filed["Location"])
    assert case.receipt_code not in client.cookies[followup_session.COOKIE].value


@pytest.mark.django_db
def test_over_https_the_cookie_is_secure(client, body, anonymous_case):
    _case, code = anonymous_case
    response = client.post(
        _followup_url(body), {"receipt_code": code, "passphrase": PASSPHRASE}, secure=True
    )
    assert response.cookies[followup_session.COOKIE]["secure"]


@pytest.mark.django_db
def test_a_forged_or_stale_cookie_opens_nothing(client, body, anonymous_case):
    case, _code = anonymous_case
    url = reverse("cases:filed", kwargs={"org": body.slug, "reference": case.reference})
    # Made without the secret key: refused.
    forged = base64.urlsafe_b64encode(json.dumps({"case": case.pk}).encode()).decode()
    client.cookies[followup_session.COOKIE] = forged.rstrip("=") + ":x:y"
    assert case.reference not in client.get(_followup_url(body)).content.decode()
    # Signed, but last written more than half an hour ago: over.
    ago = time.time() - followup_session.MAX_AGE - 60
    with mock.patch("time.time", return_value=ago):
        stale_case = signing.dumps({"case": case.pk}, salt=followup_session.SALT)
        stale_filed = signing.dumps(
            {"filed": case.reference, "receipt": True}, salt=followup_session.SALT
        )
    client.cookies[followup_session.COOKIE] = stale_case
    assert case.reference not in client.get(_followup_url(body)).content.decode()
    client.cookies[followup_session.COOKIE] = stale_filed
    assert client.get(url).status_code == 404
    # Fresh, it works (the test above is not passing for another reason).
    client.cookies[followup_session.COOKIE] = signing.dumps(
        {"case": case.pk}, salt=followup_session.SALT
    )
    assert case.reference in client.get(_followup_url(body)).content.decode()


# --- signing in or out ends it ---------------------------------------------------------------------


@pytest.mark.django_db
def test_signing_in_ends_the_follow_up_and_the_account_session_holds_nothing_of_it(
    client, body, anonymous_case, member
):
    case, code = anonymous_case
    _follow(client, body, code)
    signed_in = _sign_in(client, member)
    # The sign-in's answer deletes the complainant's cookie.
    gone = signed_in.cookies[followup_session.COOKIE]
    assert gone.value == "" and gone["max-age"] == 0
    assert case.reference not in client.get(_followup_url(body), **CLIENT).content.decode()

    (stored,) = _stored_sessions()
    assert stored["_auth_user_id"] == str(member.pk)
    text = json.dumps(stored)
    assert "ombuds:filed" not in text and "followup" not in text
    assert case.reference not in text and str(case.receipt_code) not in text
    (row,) = AccountSession.objects.all()
    assert row.user == member
    # The account's session list is about the account's own session, begun at the sign-in.
    assert Session.objects.filter(session_key=row.session_key).exists()


@pytest.mark.django_db
def test_signing_out_ends_a_follow_up_opened_while_signed_in(client, body, anonymous_case, member):
    case, code = anonymous_case
    _sign_in(client, member)
    _follow(client, body, code)
    assert case.reference in client.get(_followup_url(body), **CLIENT).content.decode()
    # Nothing of the follow-up went into the account's session.
    assert case.reference not in json.dumps(_stored_sessions())
    signed_out = client.post("/accounts/logout/", **CLIENT)
    assert signed_out.cookies[followup_session.COOKIE].value == ""
    assert case.reference not in client.get(_followup_url(body), **CLIENT).content.decode()


@pytest.mark.django_db
def test_the_filed_page_ends_with_a_sign_in(client, body, procedure, member):
    filed = client.post(reverse("cases:complain", kwargs={"org": body.slug}), _anonymous_form())
    _sign_in(client, member)
    assert client.get(filed["Location"]).status_code == 404
    assert "ombuds:filed" not in json.dumps(_stored_sessions())


# --- expired sessions are cleared daily ------------------------------------------------------------


@pytest.mark.django_db
def test_the_daily_work_clears_expired_sessions_and_forgets_ended_ones(member, settings):
    from django.contrib.sessions.backends.db import SessionStore

    now = timezone.now()
    live, expired = SessionStore(), SessionStore()
    live["_auth_user_id"], expired["_auth_user_id"] = str(member.pk), str(member.pk)
    live.create()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=now - dt.timedelta(minutes=1)
    )
    age = dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    kept = AccountSession.objects.create(
        user=member, session_key=live.session_key, last_seen_at=now, ip_address=ADDRESS
    )
    for key, seen, ended in [
        (expired.session_key, now - age - dt.timedelta(hours=1), None),
        ("ended-by-signing-out", now - dt.timedelta(hours=1), now),
    ]:
        AccountSession.objects.create(
            user=member, session_key=key, last_seen_at=seen, ended_at=ended, ip_address=ADDRESS
        )

    RateCount.objects.create(key="complaint:x", window_start=now - dt.timedelta(hours=3), count=1)
    recent = RateCount.objects.create(key="complaint:y", window_start=now, count=1)

    run = daily.daily_run("sessions", day=now.date(), worker="w1")
    assert run.outcome == DailyRun.Outcome.SUCCEEDED
    assert run.summary == {
        "expired sessions cleared": 1,
        "ended sessions forgotten": 2,
        "sessions rid of complaint keys": 0,
        "old rate counts deleted": 1,
    }
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert list(AccountSession.objects.all()) == [kept]
    assert list(RateCount.objects.all()) == [recent]
    assert set(sessions_clear_expired().values()) == {0}


@pytest.mark.django_db
def test_the_daily_work_removes_what_complaint_pages_once_kept_in_sessions(member):
    """Sessions written before the complainant's cookie existed: an account's session that also
    held a filing and a follow-up (the reproduction), and a follow-up's own."""
    from django.contrib.sessions.backends.db import SessionStore

    account, followup = SessionStore(), SessionStore()
    account.update({"_auth_user_id": str(member.pk), "ombuds:filed": "GOE-2026-0001"})
    account.update({"ombuds:followup-case": 7, "ombuds:receipt:GOE-2026-0001": "ABCD-EFGH-JKMN"})
    followup["ombuds:followup-case"] = 8
    untouched = SessionStore()
    untouched["_auth_user_id"] = str(member.pk)
    for session in (account, followup, untouched):
        session.create()
    before = Session.objects.get(session_key=untouched.session_key).session_data

    assert sessions_clear_expired()["sessions rid of complaint keys"] == 2
    assert SessionStore(session_key=account.session_key).load() == {"_auth_user_id": str(member.pk)}
    assert SessionStore(session_key=followup.session_key).load() == {}
    assert Session.objects.get(session_key=untouched.session_key).session_data == before
    assert sessions_clear_expired()["sessions rid of complaint keys"] == 0


# --- the public API refuses cross-site filing ------------------------------------------------------


ANONYMOUS = {
    "what_happened": "They shouted at me on the phone.",
    "respondent_name": "Acme Recovery",
    "anonymous": True,
    "passphrase": PASSPHRASE,
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", ""],
)
def test_a_cross_site_post_is_refused_and_files_nothing(client, body, procedure, content_type):
    """What another site's page can send without a preflight: a JSON body as text/plain (or a
    form's type), from its own Origin."""
    response = client.generic(
        "POST",
        API,
        json.dumps(ANONYMOUS),
        content_type=content_type,
        HTTP_ORIGIN="https://evil.example",
        **CLIENT,
    )
    assert response.status_code == 415
    assert response.json()["detail"] == (
        "Send the request body as JSON, with Content-Type: application/json."
    )
    assert not any(h.lower().startswith("access-control-") for h in response.headers)
    assert not Case.objects.exists()
    assert not RateCount.objects.exists()  # not even counted


@pytest.mark.django_db
def test_the_follow_up_endpoints_take_json_only_too(client, body, anonymous_case):
    case, code = anonymous_case
    for path, data in [
        (f"{API}/follow-up", {"receipt_code": code, "passphrase": PASSPHRASE}),
        (
            f"{API}/follow-up/messages",
            {"receipt_code": code, "passphrase": PASSPHRASE, "body": "Hi"},
        ),
    ]:
        response = client.post(path, json.dumps(data), content_type="text/plain")
        assert response.status_code == 415, path
    assert not case.messages.exists()


@pytest.mark.django_db
def test_no_cors_answer_lets_another_site_send_json_or_read_the_answer(client, body, procedure):
    preflight = client.options(
        API,
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert not any(h.lower().startswith("access-control-") for h in preflight.headers)
    # JSON sent properly (by a program, not a page) is filed as before, and its answer has no
    # CORS headers either.
    filed = client.post(API, ANONYMOUS, content_type="application/json", **CLIENT)
    assert filed.status_code == 201
    assert not any(h.lower().startswith("access-control-") for h in filed.headers)
    # The type's parameters and its case do not matter.
    again = {**ANONYMOUS, "submission_key": "k" * 32}
    assert (
        client.post(
            API, json.dumps(again), content_type="Application/JSON; charset=utf-8"
        ).status_code
        == 201
    )
    assert Case.objects.count() == 2


def test_the_415_is_in_the_api_schema(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ["", "/follow-up", "/follow-up/messages"]:
        operation = paths[f"/api/v1/bodies/{{org}}/complaints{path}"]["post"]
        assert "415" in operation["responses"], path


# --- the proxy configuration drops the complainants' access log lines ------------------------------


DOCS = Path(__file__).parents[2] / "docs" / "deployment.md"
COMPLAINANT_PATHS = [
    "/guild/complain/",
    "/guild/complain/filed/GOE-2026-0001",
    "/guild/complain/follow-up/",
    "/api/v1/bodies/guild/complaints",
    "/api/v1/bodies/guild/complaints/follow-up/messages",
]
OTHER_PATHS = ["/guild/register/", "/accounts/login/", "/guild/decisions/GOE-2026-0001"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _nginx_conf(tmp_path: Path, port: int, upstream: int) -> Path:
    """The documented nginx server, on plain HTTP at a free port, logging under tmp_path."""
    block = re.search(r"```nginx\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S).group(1)
    server = "server {" + block.split("server {")[2]
    server = re.sub(r"\n\s*(listen|http2|ssl_certificate)[^\n]*", "", server)
    server = server.replace("server_name", f"listen 127.0.0.1:{port};\n    server_name", 1)
    server = server.replace("/var/log/nginx/ombuds-access.log", str(tmp_path / "access.log"))
    server = server.replace("127.0.0.1:8000", f"127.0.0.1:{upstream}")
    temp = " ".join(f"{k}_temp_path {tmp_path / k};" for k in ("client_body", "proxy"))
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{\n{temp}\n{server}\n}}\n",
        encoding="utf-8",
    )
    return conf


def test_the_documented_nginx_configuration_logs_no_complainant(tmp_path):
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        pytest.skip("nginx is not installed")
    upstream = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler
    )
    upstream.RequestHandlerClass.log_message = lambda *args: None
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = _free_port()
    conf = _nginx_conf(tmp_path, port, upstream.server_address[1])
    process = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                time.sleep(0.05)
        for path in COMPLAINANT_PATHS + OTHER_PATHS:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="GET")
            # The stand-in upstream has no such page: a 404, which the proxy logs or not.
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(request, timeout=5).close()
    finally:
        process.terminate()
        process.wait(timeout=10)
        upstream.shutdown()
    logged = (tmp_path / "access.log").read_text(encoding="utf-8")
    for path in OTHER_PATHS:
        assert f"GET {path} " in logged, path
    for path in COMPLAINANT_PATHS:
        assert f"GET {path} " not in logged, path
