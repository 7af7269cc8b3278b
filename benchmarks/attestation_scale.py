"""Attestation campaigns at scale: an association of agencies whose staff attest to a new code.

Run: ``.venv/bin/python benchmarks/attestation_scale.py [--agencies 1000] [--staff 10]``
(``--database-url postgres://postgres@127.0.0.1:5432/NAME`` for PostgreSQL; the database must not
exist yet, and is dropped at the end).

What one run does, against a fresh database in a temporary data directory (never ./data):

1. Creates one body with a published code, A member agencies with S employees and agents each
   (bulk inserts, not timed): A×S people to attest.
2. Times ``campaign_start`` (the duties of everyone in the audience, in bulk) and counts its queries.
3. Times ``coverage`` for the whole body and for one agency, and the agency administrator's page
   data (``agency_overview``), with their query counts: the counts must not grow with the body.
4. Records attestations for 1,000 people one by one through ``attest_by_proxy`` (each is its own
   transaction and audit event): attestations per second.
5. Adds 1% new joiners and times ``campaign_sync`` (the daily tick's part), then ``reminders_send``.

Prints one line per figure and, at the end, the ratio of whole-body coverage time per 1,000 people
at this size, to compare runs of different sizes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(label: str, fn, *, queries: bool = True):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()  # the log keeps 9,000 queries: start each figure empty
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = fn()
        took = time.perf_counter() - started
    extra = f"  ({len(captured)} queries)" if queries else ""
    if os.environ.get("BENCH_SLOWEST") and len(captured):
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        print(f"    slowest {slowest['time']} s: {slowest['sql'][:1500]}")
    print(f"{label:<48} {took:8.3f} s{extra}")
    return result, took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=1000)
    parser.add_argument("--staff", type=int, default=10)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--no-analyze", action="store_true", help="PostgreSQL: skip ANALYZE")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="ombuds-bench-")
    os.environ["OMBUDS_DATA_DIR"] = data_dir
    os.environ["OMBUDS_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
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


def _run(args) -> int:
    from django.contrib.auth import get_user_model

    from ombuds.bodies.models import Organization
    from ombuds.codes import services as codes
    from ombuds.members import attestations
    from ombuds.members.models import AttestationCampaign
    from ombuds.register.models import Affiliation, Agency, Membership, MembershipType, Person
    from tests.conftest import small_code

    total = args.agencies * args.staff
    print(f"{args.agencies} agencies × {args.staff} staff = {total} people to attest")
    body = Organization.objects.create(slug="bench", name="Bench Council", acronym="BC")
    version, _ = codes.code_version_import(
        organization=body, parsed=small_code(), source=b"v1", label="v1", publish=True
    )
    kind = MembershipType.objects.create(
        organization=body, code="agency", name="Member agency", kind="organization"
    )
    Agency.objects.bulk_create(
        Agency(organization=body, external_id=f"A{n}", legal_name=f"Agency {n} LLC")
        for n in range(args.agencies)
    )
    agencies = list(Agency.objects.filter(organization=body).order_by("pk"))
    Membership.objects.bulk_create(
        Membership(
            organization=body,
            membership_type=kind,
            agency=a,
            number=f"M-{n}",
            status="active",
            start_date=dt.date(2020, 1, 1),
        )
        for n, a in enumerate(agencies)
    )
    Person.objects.bulk_create(
        Person(
            organization=body,
            external_id=f"P{n}",
            given_name="Pat",
            family_name=f"Staff{n}",
            email=f"p{n}@example.org",
        )
        for n in range(total)
    )
    people = list(Person.objects.filter(organization=body).order_by("pk"))
    Affiliation.objects.bulk_create(
        Affiliation(
            agency=agencies[n // args.staff],
            person=p,
            role="employee" if n % 3 else "agent",
            start_date=dt.date(2020, 1, 1),
        )
        for n, p in enumerate(people)
    )
    admin = get_user_model().objects.create_superuser("bench", "bench@example.org", "x")
    from django.db import connection

    if connection.vendor == "postgresql" and not args.no_analyze:
        # What autovacuum does a minute after a bulk load: without statistics PostgreSQL plans
        # the audience's joins for empty tables.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    today = dt.date.today()

    campaign, _ = _timed(
        f"campaign_start ({total} duties)",
        lambda: attestations.campaign_start(
            organization=body,
            code_version=version,
            audience=AttestationCampaign.Audience.AGENCY_STAFF,
            due_on=today + dt.timedelta(days=30),
            statement="I have read, understood and agree to the code.",
            reminder_days=[14, 3],
            started_by=admin,
        ),
    )
    _coverage, whole = _timed(
        "coverage, whole body", lambda: attestations.coverage(campaign=campaign)
    )
    _timed(
        "coverage, one agency", lambda: attestations.coverage(campaign=campaign, agency=agencies[0])
    )
    _timed(
        "agency administrator's page data",
        lambda: attestations.agency_overview(agencies[0]),
    )

    sample = people[: min(1000, total)]

    def attest_all():
        for person in sample:
            attestations.attest_by_proxy(
                person=person, campaign=campaign, reason="Paper form.", staff_user=admin
            )

    _, took = _timed(f"{len(sample)} attestations by proxy", attest_all, queries=False)
    print(f"{'attestations per second':<48} {len(sample) / took:8.0f}")

    joiners = max(1, total // 100)
    start = len(people)
    Person.objects.bulk_create(
        Person(organization=body, given_name="New", family_name=f"Joiner{n}")
        for n in range(start, start + joiners)
    )
    new_people = Person.objects.filter(organization=body, family_name__startswith="Joiner")
    Affiliation.objects.bulk_create(
        Affiliation(agency=agencies[n % len(agencies)], person=p, role="employee")
        for n, p in enumerate(new_people)
    )
    synced, _ = _timed(
        f"campaign_sync ({joiners} new joiners)",
        lambda: attestations.campaign_sync(campaign=campaign),
    )
    print(f"{'  joined':<48} {synced.joined:8d}")
    sent, _ = _timed(
        "reminders_send, 14 days before",
        lambda: attestations.reminders_send(today=today + dt.timedelta(days=16)),
        queries=False,
    )
    print(f"{'  reminders sent (emails)':<48} {sent:8d}")
    again, _ = _timed(
        "reminders_send again the same day",
        lambda: attestations.reminders_send(today=today + dt.timedelta(days=16)),
    )
    print(f"{'  reminders sent the second time':<48} {again:8d}")
    print(f"{'coverage seconds per 1,000 people':<48} {whole / total * 1000:8.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
