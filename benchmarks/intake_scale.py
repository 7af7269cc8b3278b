"""Public complaint intake under concurrent load: the complaint form (GET for its CSRF token, then
POST a complaint) beside a bare view (``/livez``) at the same concurrency, through gunicorn on
PostgreSQL with ``DB_CONN_MAX_AGE=60``.

Run: ``.venv/bin/python benchmarks/intake_scale.py [--clients 8,50,200] [--rounds 3]
[--seconds 8] [--workers 4] [--anonymous 0.0]``

A fresh database (created and dropped, its name holds "h3_intake"): one body on the Article 5
procedure with a published code and a member agency (as the case tests build it). The site runs
with DEBUG off, the complaints' rate limit off (``OMBUDS_COMPLAINTS_PER_HOUR=0``, as the other
scripts turn the register's limits off: every client here is 127.0.0.1) and the dummy email backend.

For each number of clients C and each round, two loads alternate, each for ``seconds``:
- bare: C threads sending ``GET /livez`` (a Django view doing one ``SELECT 1``);
- intake: C threads, each in a loop: ``GET /bench/complain/`` (its own connection, no cookies),
  read the ``csrftoken`` cookie and the form's ``csrfmiddlewaretoken``, then ``POST`` a named
  complaint (a fraction ``--anonymous`` of them anonymous, with a passphrase: Argon2) with a
  unique submission key and text. Success is the 302 to the receipt page.

Prints per round complaints per second (a complaint = its GET and its POST), p50/p99 of the POST
and of the whole complaint, the bare view's requests per second and p50/p99, the medians and the
ratio, and the load average. Afterwards it checks that every complaint answered 302 is stored
exactly once (the cases are counted, one per text sent, the references and receipt codes unique),
that nothing else was stored, and that the audit chain verifies.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import register_scale as rs  # noqa: E402

HOST = rs.HOST
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
COOKIE = re.compile(r"csrftoken=([^;]+)")
PASSPHRASE = "a long enough passphrase"


def _request(port: int, method: str, path: str, body: bytes = b"", headers=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request(
            method,
            path,
            body=body or None,
            headers={"Host": HOST, "Connection": "close", **(headers or {})},
        )
        response = conn.getresponse()
        return response.status, response.getheader("Set-Cookie") or "", response.read()
    finally:
        conn.close()


def complain(port: int, n: int, anonymous: bool, agency: str) -> tuple[int, float, str]:
    """One complaint as a browser sends it: (the POST's status, its latency in ms, its text)."""
    status, cookies, page = _request(port, "GET", "/bench/complain/")
    token, cookie = TOKEN.search(page), COOKIE.search(cookies)
    if status != 200 or token is None or cookie is None:
        return status or -1, 0.0, ""
    text = f"Complaint {n}: they kept my support payment for three months."
    form = {
        "csrfmiddlewaretoken": token.group(1).decode(),
        "who": "anonymous" if anonymous else "named",
        "complainant_name": "" if anonymous else f"Complainant {n}",
        "complainant_email": "" if anonymous else f"c{n}@example.org",
        "complainant_relation": "client",
        "respondent_kind": "agency",
        "respondent_name": agency,
        "what_happened": text,
        "outcome_sought": "The payment back.",
        "submission_key": f"bench-{n:09d}",
    }
    if anonymous:
        form.update(passphrase=PASSPHRASE, passphrase_again=PASSPHRASE)
    start = time.perf_counter()
    status, _, _ = _request(
        port,
        "POST",
        "/bench/complain/",
        urlencode(form).encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie.group(1)}",
        },
    )
    return status, (time.perf_counter() - start) * 1000, text


def intake(port: int, clients: int, seconds: float, first: int, anonymous: float, agency: str):
    """C threads filing complaints for `seconds`; numbers from `first` on."""
    lock = threading.Lock()
    counter = [first]
    posts: list[float] = []
    wholes: list[float] = []
    stored: list[str] = []
    failures: dict[str, int] = {}
    rng = random.Random(first)
    deadline = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                n = counter[0]
                counter[0] += 1
                anon = rng.random() < anonymous
            start = time.perf_counter()
            try:
                status, post_ms, text = complain(port, n, anon, agency)
            except OSError as exc:
                status, post_ms, text = type(exc).__name__, 0.0, ""
            whole = (time.perf_counter() - start) * 1000
            with lock:
                if status == 302:
                    posts.append(post_ms)
                    wholes.append(whole)
                    stored.append(text)
                else:
                    failures[str(status)] = failures.get(str(status), 0) + 1

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 90)
    wall = time.perf_counter() - start
    posts.sort()
    wholes.sort()
    pct = rs.percentile
    return {
        "ok": len(posts),
        "rps": len(posts) / wall,
        "p50": pct(posts, 50) if posts else float("nan"),
        "p99": pct(posts, 99) if posts else float("nan"),
        "whole_p50": pct(wholes, 50) if wholes else float("nan"),
        "whole_p99": pct(wholes, 99) if wholes else float("nan"),
        "failures": failures,
        "texts": stored,
        "next": counter[0],
    }


def _body() -> tuple[int, str]:
    from django.contrib.auth import get_user_model

    from ombuds.register.models import Agency, Membership, MembershipType
    from tests.cases.conftest import _body as case_body
    from tests.conftest import small_code

    body = case_body(
        "bench", "Bench Council", "BC", "csec-article-5", small_code(), get_user_model(), "1.1(a)"
    )
    kind = MembershipType.objects.create(
        organization=body.org, code="agency", name="Member agency", kind="organization"
    )
    agency = Agency.objects.create(organization=body.org, legal_name="Faithful Support LLC")
    Membership.objects.create(
        organization=body.org, membership_type=kind, agency=agency, number="BC-1",
        status="active", start_date="2020-07-01", renewal_date="2031-07-01",
    )  # fmt: skip
    return body.org.pk, agency.legal_name


def _check(texts: list[str]) -> bool:
    """Every complaint answered 302 stored once, nothing else stored, the chain verifies."""
    from django.db.models import Count

    from ombuds.audit.services import verify
    from ombuds.cases.models import Case

    cases = Case.objects.count()
    by_text = dict(
        Case.objects.values_list("what_happened")
        .annotate(n=Count("id"))
        .values_list("what_happened", "n")
    )
    references = Case.objects.values("reference").distinct().count()
    receipts = Case.objects.exclude(receipt_code=None).values_list("receipt_code", flat=True)
    once = all(by_text.get(t) == 1 for t in texts)
    verdict = verify()
    print(
        f"check: {len(texts)} complaints answered 302, {cases} cases stored, each of them once: "
        f"{once}; references unique: {references == cases}; receipt codes unique: "
        f"{len(set(receipts)) == len(receipts)} ({len(receipts)}); audit verify ok={verdict.ok} "
        f"({verdict.checked} events)"
    )
    return (
        once
        and cases == len(texts)
        and references == cases
        and len(set(receipts)) == len(receipts)
        and verdict.ok
    )


# What one complaint's CPU goes to: (label, module, function), each timed in CPU seconds by a
# wrapper put in place of the module's attribute (nested parts are counted in their callers too).
PARTS = [
    ("the form page rendered (the GET; the POST redirects)", "ombuds.cases.views", "render"),
    ("case_file (the whole service call)", "ombuds.cases.services", "case_file"),
    ("  the audit event (record: head lock, keys, HMACs, sealing)", "ombuds.audit.services", "record"),
    ("  sealing at rest (AES-GCM, each sealed column and event)", "ombuds.core.crypto", "seal_text"),
    ("  Argon2 passphrase hash", "ombuds.cases.services.filing", "_passphrase_hash"),
    ("  receipt code", "ombuds.cases.services.filing", "_receipt_code"),
    ("  case reference (counter, advisory lock, draws)", "ombuds.cases.services.filing", "_next_reference"),
    ("  the receipt notice (its email rendered, kept)", "ombuds.cases.services.filing", "notices_make"),
]  # fmt: skip


def _timed(spent: dict[str, float], label: str, func):
    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - start

    return wrapper


def profile(n: int, anonymous: bool, agency: str) -> None:
    """N complaints in this process through Django's test client (GET then POST): CPU per
    complaint and per part (`PARTS`), and the queries of one complaint."""
    import importlib

    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client

    # As Django's own tests do: one connection kept across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    # One client (its middleware loaded once, as a gunicorn worker's), its cookies cleared for
    # each complaint: a new browser each time.
    client = Client()

    def get() -> None:
        client.cookies.clear()
        client.get("/bench/complain/")

    def one(i: int) -> int:
        get()
        data = {
            "who": "anonymous" if anonymous else "named",
            "complainant_name": "" if anonymous else f"Profiled {i}",
            "complainant_email": "" if anonymous else f"p{i}@example.org",
            "complainant_relation": "client",
            "respondent_kind": "agency",
            "respondent_name": agency,
            "what_happened": f"Profiled complaint {i} ({anonymous=}).",
            "outcome_sought": "The payment back.",
            "submission_key": f"profile-{anonymous}-{i:06d}",
        }
        if anonymous:
            data.update(passphrase=PASSPHRASE, passphrase_again=PASSPHRASE)
        return client.post("/bench/complain/", data).status_code

    for i in range(5):
        one(-1 - i)  # warm the caches
    queries: list[str] = []

    def counted(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        get()
        get_queries = len(queries)
        status = one(10_000_000)
    cpu = time.process_time()
    for _ in range(n):
        get()
    get_cpu = (time.process_time() - cpu) / n * 1000
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        one(i)
    cpu, wall = (time.process_time() - cpu) / n * 1000, (time.perf_counter() - wall) / n * 1000
    spent = dict.fromkeys((label for label, _, _ in PARTS), 0.0)
    originals = []
    for label, module, name in PARTS:
        mod = importlib.import_module(module)
        originals.append((mod, name, getattr(mod, name)))
        setattr(mod, name, _timed(spent, label, getattr(mod, name)))
    try:
        for i in range(n):
            one(n + i)
    finally:
        for mod, name, func in originals:
            setattr(mod, name, func)
    kind = "anonymous (Argon2)" if anonymous else "named"
    print(
        f"one {kind} complaint in process: POST status {status}; queries: {get_queries} for the "
        f"GET, {len(queries) - 2 * get_queries} for the POST; CPU per complaint {cpu:.1f} ms "
        f"({wall:.1f} ms wall), of which the GET {get_cpu:.1f} ms"
    )
    for label, _, _ in PARTS:
        print(
            f"  {spent[label] / n * 1000:7.2f} ms CPU  {spent[label] / n / cpu * 1e5:5.1f}%  {label}"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="8,50,200", help="comma-separated concurrencies")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--anonymous", type=float, default=0.0, help="the fraction of anonymous complaints"
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="only profile N named and N anonymous complaints in this process (no gunicorn)",
    )
    args = parser.parse_args()
    name = f"ombuds_bench_h3_intake_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="ombuds-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ombuds.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
        "OMBUDS_DATA_DIR": str(work / "data"),
        "OMBUDS_AUDIT_KEY": "benchmark-audit-key",
        "DEBUG": "0",
        "ALLOWED_HOSTS": f"{HOST},testserver",
        "OMBUDS_COMPLAINTS_PER_HOUR": "0",
        "OMBUDS_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "60",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("OMBUDS_REDIS_URL", None)
    os.environ.update(env)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    proc = None
    try:
        subprocess.run([sys.executable, "-m", "ombuds", "migrate", "-v", "0"], cwd=ROOT, check=True)
        subprocess.run(
            [sys.executable, "-m", "ombuds", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            check=True,
        )
        import django

        django.setup()
        from django.db import connection

        _, agency = _body()
        if args.profile:
            profile(args.profile, False, agency)
            profile(args.profile, True, agency)
            return 0
        connection.close()
        port = rs.free_port()
        log = work / "gunicorn.log"
        proc = rs.start_gunicorn(env, port, args.workers, log)
        rs.wait_until_up(port, proc, log)
        texts: list[str] = []
        warm = intake(port, 8, 3, 1, args.anonymous, agency)  # every worker's first requests
        texts += warm["texts"]
        number = warm["next"]
        rs.load(port, ["/livez"] * 2000, 8, 3)
        summary = []
        for c in (int(x) for x in args.clients.split(",")):
            bare, filed = [], []
            for r in range(args.rounds):
                b = rs.load(port, ["/livez"] * 1_000_000, c, args.seconds)
                f = intake(port, c, args.seconds, number, args.anonymous, agency)
                number = f["next"]
                texts += f["texts"]
                bare.append(b)
                filed.append(f)
                print(
                    f"{c:>3} clients round {r + 1}: bare {b['rps']:7.1f} req/s p50 "
                    f"{b['p50']:7.1f} p99 {b['p99']:7.1f} ms fail {b['failures'] or 0} | intake "
                    f"{f['rps']:6.1f} complaints/s POST p50 {f['p50']:7.1f} p99 {f['p99']:7.1f} "
                    f"ms, whole p99 {f['whole_p99']:7.1f} ms fail {f['failures'] or 0}",
                    flush=True,
                )
            med = {
                "c": c,
                "bare": statistics.median(x["rps"] for x in bare),
                "bare_p99": statistics.median(x["p99"] for x in bare),
                "rps": statistics.median(x["rps"] for x in filed),
                "p50": statistics.median(x["p50"] for x in filed),
                "p99": statistics.median(x["p99"] for x in filed),
                "whole_p99": statistics.median(x["whole_p99"] for x in filed),
                "load": os.getloadavg(),
            }
            summary.append(med)
        print(f"gunicorn workers {args.workers}, anonymous fraction {args.anonymous}")
        print(
            "clients  bare req/s  bare p99 ms  complaints/s  POST p50 ms  POST p99 ms  "
            "whole p99 ms  intake : bare  load average"
        )
        for m in summary:
            print(
                f"{m['c']:>7}  {m['bare']:10.1f}  {m['bare_p99']:11.1f}  {m['rps']:12.1f}  "
                f"{m['p50']:11.1f}  {m['p99']:11.1f}  {m['whole_p99']:12.1f}  1 : "
                f"{m['bare'] / m['rps']:<9.1f}  {' '.join(f'{x:.2f}' for x in m['load'])}"
            )
        rs.stop(proc)
        proc = None
        return 0 if _check(texts) else 1
    finally:
        rs.stop(proc)
        from django.db import connections

        connections.close_all()
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", name], check=False
        )


if __name__ == "__main__":
    raise SystemExit(main())
