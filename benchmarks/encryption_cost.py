"""What encryption at rest costs: filing a complaint and opening the staff case page, with the
fields' encryption on and off, interleaved in one run, and the ratio.

Run: ``.venv/bin/python benchmarks/encryption_cost.py [--rounds 40]``
(``--database-url postgres://postgres@127.0.0.1:5432/NAME`` for PostgreSQL; the database must not
exist yet, and is dropped at the end).

What one run does, against a fresh database in a temporary data directory (never ./data):

1. Creates one body with a published code, its people and a member agency (not timed).
2. Each round, in alternating order, files one complaint (a named complainant, a narrative, the
   outcome sought, a 200 KB PDF) through ``case_file`` with OMBUDS_ENCRYPT_FIELDS on and one with
   it off, then posts five messages on each (not timed).
3. Each round, in alternating order, opens the chair's staff case page of an encrypted case with
   encryption on and of a plaintext case with it off (Django's test client, the whole view).
4. Prints the median and mean of each, and the ratio on/off. Files are encrypted in both runs (the
   storage always encrypts): their cost is printed apart, as MB/s of AES-GCM over a 10 MB file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n" + os.urandom(200 * 1024)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="ombuds-bench-")
    os.environ["OMBUDS_DATA_DIR"] = data_dir
    os.makedirs(os.path.join(data_dir, "static"))
    os.environ["OMBUDS_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["OMBUDS_REQUIRE_SECOND_FACTOR"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.pop("OMBUDS_MASTER_KEY_FILE", None)
    os.environ.pop("OMBUDS_MASTER_KEY", None)  # a key generated into the temporary data dir
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
        name = args.database_url.rsplit("/", 1)[1]
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ombuds.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        return _run(args)
    finally:
        if args.database_url:
            from django.db import connections

            connections.close_all()
            subprocess.run(
                ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", name], check=False
            )


def _body():
    from django.contrib.auth import get_user_model

    from ombuds.bodies.models import Organization
    from ombuds.register.models import Agency, Membership, MembershipType
    from tests.cases.conftest import _body
    from tests.conftest import small_code

    body = _body(
        "bench", "Bench Council", "BC", "csec-article-5", small_code(), get_user_model(), "1.1(a)"
    )
    org = Organization.objects.get(pk=body.org.pk)
    kind = MembershipType.objects.create(
        organization=org, code="agency", name="Member agency", kind="organization"
    )
    body.member_agency = Agency.objects.create(organization=org, legal_name="Faithful Support LLC")
    Membership.objects.create(
        organization=org, membership_type=kind, agency=body.member_agency, number="BC-1",
        status="active", start_date="2020-07-01", renewal_date="2031-07-01",
    )  # fmt: skip
    return body


def _file(body, encrypt: bool, n: int):
    from django.conf import settings

    from ombuds.cases import services
    from tests.cases.conftest import complaint

    settings.OMBUDS_ENCRYPT_FIELDS = encrypt
    filing = complaint(
        body,
        complainant_name=f"Pat Complainant {n}",
        complainant_phone="+44 7700 900123",
        what_happened="They kept my support payment for three months. " * 20,
        outcome_sought="The payment back, and an apology.",
        files=[("evidence.pdf", PDF)],
    )
    started = time.perf_counter()
    case = services.case_file(organization=body.org, complaint=filing).case
    took = time.perf_counter() - started
    for m in range(5):
        services.message_post(
            case=case,
            audience="internal",
            body=f"Note {m}: called the agency, no answer. " * 5,
            acting_user=body.people["ethics_chair"],
        )
    return case, took


def _page(client, body, case, encrypt: bool) -> float:
    from django.conf import settings

    settings.OMBUDS_ENCRYPT_FIELDS = encrypt
    url = f"/staff/{body.org.slug}/cases/{case.reference}/"
    started = time.perf_counter()
    response = client.get(url)
    took = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return took


def _line(label: str, on: list[float], off: list[float]) -> None:
    med_on, med_off = statistics.median(on), statistics.median(off)
    print(
        f"{label:<22} on {med_on * 1000:8.2f} ms  off {med_off * 1000:8.2f} ms (medians; means "
        f"{statistics.mean(on) * 1000:.2f} / {statistics.mean(off) * 1000:.2f})  "
        f"ratio {med_on / med_off:.3f}"
    )


def _files_throughput() -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from ombuds.core.encrypted import decrypt_file, encrypt_file

    data, key = os.urandom(10 * 1024 * 1024), AESGCM.generate_key(bit_length=256)
    started = time.perf_counter()
    blob = encrypt_file(data, key)
    middle = time.perf_counter()
    decrypt_file(blob, key, "bench")
    done = time.perf_counter()
    print(
        f"files (AES-GCM, 64 KiB chunks): encrypt {10 / (middle - started):.0f} MB/s, "
        f"decrypt {10 / (done - middle):.0f} MB/s"
    )


def _run(args) -> int:
    from django.db import connection
    from django.test import Client

    body = _body()
    print(f"{connection.vendor}, {args.rounds} rounds, fields' encryption on and off interleaved")
    _file(body, True, -1)  # warm-up: the body's data key made and unwrapped, caches filled
    _file(body, False, -2)
    filed = {True: [], False: []}
    cases = {True: [], False: []}
    for n in range(args.rounds):
        for encrypt in (True, False) if n % 2 == 0 else (False, True):
            case, took = _file(body, encrypt, n)
            filed[encrypt].append(took)
            cases[encrypt].append(case)
    client = Client()
    client.force_login(body.people["ethics_chair"])
    _page(client, body, cases[True][0], True)  # warm-up: templates loaded
    _page(client, body, cases[False][0], False)
    pages = {True: [], False: []}
    for n in range(args.rounds):
        for encrypt in (True, False) if n % 2 == 0 else (False, True):
            pages[encrypt].append(_page(client, body, cases[encrypt][n], encrypt))
    _line("complaint filing", filed[True], filed[False])
    _line("staff case page", pages[True], pages[False])
    _files_throughput()
    return 0


if __name__ == "__main__":
    sys.exit(main())
