"""The staff inbox at scale on PostgreSQL: the inbox selector (and the page through Django's test
client) for every filter and sort, beside the same 50 rows fetched by plain SQL, interleaved.

Run: ``.venv/bin/python benchmarks/inbox_scale.py --cases 1000,100000[,1000000] [--rounds 30]``

For each size, against a fresh database it creates and drops: one body following CSEC's
procedure, one case filed through the services, then cloned set-based (``INSERT … SELECT … FROM
generate_series``) into N cases of the body in several states (a quarter closed), each with a
running deadline due between 30 days ago and 60 days ahead (5% of them overdue: the clock expires
the others as they pass) or none, handlers on one in ten, one respondent name in 500 matching the
respondent filter; `next_due` and the counts by state filled as the migration does; VACUUM
ANALYZE (as autovacuum would, after an update of every row).
Then, per filter and sort, ``rounds`` times: the selector, and ``SELECT * FROM cases_case WHERE id
= ANY(<the 50 ids shown>)``, alternately; prints p50/p95 of each, the ratio of the medians, and
the selector's query count (which must not grow with N). Then the staff home and the staff case
page (a case filed through the services, a cloned one) beside ``/livez`` through the same
client, alternately, with their query counts.
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

FILTERS = [
    ("all, newest", {}),
    ("all, oldest", {"sort": "oldest"}),
    ("all, due", {"sort": "due"}),
    ("state, newest", {"state": "chair_review"}),
    ("state, due", {"state": "chair_review", "sort": "due"}),
    ("open, newest", {"state": "open"}),
    ("open, due", {"state": "open", "sort": "due"}),
    ("overdue, newest", {"overdue": True}),
    ("overdue, due", {"overdue": True, "sort": "due"}),
    ("mine, newest", {"mine": True}),
    ("mine, due", {"mine": True, "sort": "due"}),
    ("respondent, newest", {"respondent": "zephyr"}),
    ("provision, newest", {"provision": "13"}),  # one case in twelve cites it
]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p * (len(values) - 1)))]


def build(n: int) -> tuple:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from ombuds.bodies.models import BodyRole, Organization
    from ombuds.cases import services
    from ombuds.cases.models import BodyProcedure, Case
    from ombuds.codes import services as code_services
    from ombuds.codes.parser import parse

    org = Organization.objects.create(slug="bench", name="Bench Council", acronym="BC")
    BodyProcedure.objects.create(organization=org, procedure_key="csec-article-5")
    chair = get_user_model().objects.create_user("chair", "chair@example.org", "pw")
    BodyRole.objects.create(user=chair, organization=org, role="ethics_chair")
    # A code of 24 provisions (our own words), each case citing one of them in its allegation.
    code = "\n".join(
        f"{i}. Members shall keep rule {i} of the bench code in every dealing."
        for i in range(1, 25)
    )
    version, _ = code_services.code_version_import(
        organization=org, parsed=parse(f"# Bench Code\n\n{code}\n"), label="v1", publish=True
    )
    cited = list(version.provisions.exclude(citation="").values_list("pk", flat=True))
    seed = services.case_file(
        organization=org,
        complaint=services.Complaint(
            provisions=[version.provisions.get(pk=cited[0])],
            what_happened="They kept my payments.",
            respondent_name="Acme Recovery",
            respondent_email="acme@example.org",
            complainant_name="Pat Doe",
            complainant_email="pat@example.org",
        ),
    ).case
    columns = [
        f.column
        for f in Case._meta.concrete_fields
        if f.column
        not in {
            "id",
            "reference",
            "state",
            "filed_at",
            "closed_at",
            "handler_id",
            "next_due",
            "respondent_name",
            "receipt_code",
            "submission_key",
        }
    ]
    cols = ", ".join(f'"{c}"' for c in columns)
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO cases_case ({cols}, reference, state, filed_at, closed_at, handler_id,
                                    respondent_name)
            SELECT {cols}, 'BC-B-' || g,
                   (ARRAY['received','chair_review','investigation','dismissed'])[1 + g %% 4],
                   now() - (g || ' minutes')::interval,
                   CASE WHEN g %% 4 = 3 THEN now() END,
                   CASE WHEN g %% 10 = 0 THEN %s END,
                   CASE WHEN g %% 500 = 0 THEN 'Zephyr Collections ' || g ELSE 'Agency ' || g END
            FROM cases_case, generate_series(1, %s) g WHERE cases_case.id = %s
            """,
            [chair.pk, n - 1, seed.pk],
        )
        cur.execute(
            """
            INSERT INTO cases_casedeadline (created_at, updated_at, case_id, name, label, starts_on,
                                            due_on, waits_for_delivery, covers)
            SELECT now(), now(), id, 'acknowledge', 'Acknowledge', current_date,
                   current_date + (CASE WHEN id %% 20 = 1 THEN -1 - (id %% 30)
                                       ELSE id %% 60 END)::int,
                   false, '[]'::jsonb
            FROM cases_case WHERE organization_id = %s AND closed_at IS NULL AND id <> %s
            """,
            [org.pk, seed.pk],
        )
        # Each clone's allegation, citing one of the code's provisions (the first ones most).
        cur.execute(
            """
            INSERT INTO cases_allegation (created_at, updated_at, position, summary, source,
                                          determination, reasons, case_id, verbatim)
            SELECT a.created_at, a.updated_at, 0, a.summary, a.source, a.determination, a.reasons,
                   c.id, a.verbatim
            FROM cases_allegation a, cases_case c
            WHERE a.case_id = %s AND c.organization_id = %s AND c.id <> %s
            """,
            [seed.pk, org.pk, seed.pk],
        )
        cur.execute(
            """
            INSERT INTO cases_allegation_provisions (allegation_id, provision_id)
            SELECT a.id, (%s::bigint[])[1 + ((a.case_id %% 24) * (a.case_id %% 24)) %% 24]
            FROM cases_allegation a WHERE a.case_id <> %s
            """,
            [cited, seed.pk],
        )
        cur.execute(
            """
            UPDATE cases_case c SET next_due = d.due FROM (
              SELECT case_id, min(due_on) due FROM cases_casedeadline
              WHERE met_at IS NULL AND expired_at IS NULL GROUP BY case_id) d
            WHERE d.case_id = c.id
            """
        )
        cur.execute("DELETE FROM cases_casecount")
        cur.execute(
            """
            INSERT INTO cases_casecount (organization_id, state, cases, open)
            SELECT organization_id, state, count(*), count(*) FILTER (WHERE closed_at IS NULL)
            FROM cases_case GROUP BY organization_id, state
            """
        )
        # As autovacuum would soon after: the UPDATE above left a dead version of every case, and
        # the trigram index's pending list holds every name until a vacuum merges it.
        cur.execute("VACUUM ANALYZE")
    built = time.perf_counter() - started
    del timezone
    return org, chair, built, seed


def measure(org, chair, rounds: int, page: bool) -> list[tuple]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ombuds.cases import selectors

    client = Client()
    client.force_login(chair)
    rows = []
    for name, filters in FILTERS:
        inbox_t, sql_t, page_t = [], [], []
        with CaptureQueriesContext(connection) as captured:
            found = selectors.inbox(organization=org, user=chair, **filters)
        queries = len(captured)
        ids = [c.pk for c in found.cases]
        query = "&".join(f"{k}={'1' if v is True else v}" for k, v in filters.items())
        for _ in range(rounds):
            t = time.perf_counter()
            selectors.inbox(organization=org, user=chair, **filters)
            inbox_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            with connection.cursor() as cur:
                cur.execute("SELECT * FROM cases_case WHERE id = ANY(%s)", [ids])
                cur.fetchall()
            sql_t.append(time.perf_counter() - t)
            if page:
                t = time.perf_counter()
                response = client.get(f"/staff/bench/cases/?{query}")
                page_t.append(time.perf_counter() - t)
                assert response.status_code == 200, response.status_code
        rows.append((name, len(ids), found.matching, queries, inbox_t, sql_t, page_t))
    return rows


def measure_pages(org, chair, seed, rounds: int) -> list[tuple]:
    """The staff home, and the staff case page of the case filed through the services and of a
    cloned one, each beside ``/livez`` through the same client (the same middleware, one
    ``SELECT 1``), interleaved."""
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ombuds.cases.models import Case

    client = Client()
    client.force_login(chair)
    clone = Case.objects.filter(organization=org, closed_at=None).exclude(pk=seed.pk).order_by("pk")
    pages = [
        ("staff home", "/staff/"),
        ("case page, filed", f"/staff/{org.slug}/cases/{seed.reference}/"),
        ("case page, clone", f"/staff/{org.slug}/cases/{clone.first().reference}/"),
    ]
    rows = []
    for name, url in pages:
        reset_queries()  # the log keeps 9,000 queries at most: counted from an empty one
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        queries = len(captured)  # now: the next request empties the log
        page_t, bare_t = [], []
        for _ in range(rounds):
            t = time.perf_counter()
            response = client.get(url)
            page_t.append(time.perf_counter() - t)
            assert response.status_code == 200, response.status_code
            t = time.perf_counter()
            client.get("/livez")
            bare_t.append(time.perf_counter() - t)
        rows.append((name, queries, page_t, bare_t))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="1000,100000")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--no-page", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the databases (names printed)")
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.size:  # one process per size, each with its own database
        for n in [int(x) for x in args.cases.split(",")]:
            cmd = [sys.executable, __file__, "--size", str(n), "--rounds", str(args.rounds)]
            flags = (["--no-page"] if args.no_page else []) + (["--keep"] if args.keep else [])
            subprocess.run(cmd + flags, check=True)
        return 0
    name = f"ombuds_bench_inbox_{os.getpid()}"
    data_dir = tempfile.mkdtemp(prefix="ombuds-bench-")
    os.makedirs(os.path.join(data_dir, "static"))
    os.environ.update(
        OMBUDS_DATA_DIR=data_dir,
        OMBUDS_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        OMBUDS_REQUIRE_SECOND_FACTOR="0",
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}",
        DJANGO_SETTINGS_MODULE="ombuds.settings",
        # As a production site keeps its connections (and so the pages' queries can be counted).
        DB_CONN_MAX_AGE="60",
    )
    os.environ.pop("OMBUDS_MASTER_KEY_FILE", None)
    os.environ.pop("OMBUDS_MASTER_KEY", None)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    try:
        call_command("migrate", verbosity=0)
        org, chair, built, seed = build(args.size)
        print(f"\n{args.size:,} cases built in {built:.1f} s (set-based)")
        rows = measure(org, chair, args.rounds, not args.no_page)
        print(
            f"{'filter, sort':<20} {'shown':>5} {'match':>7} {'q':>3} "
            f"{'inbox p50/p95 ms':>17} {'SQL p50/p95 ms':>15} {'ratio':>6} {'page p50/p95 ms':>16}"
        )
        for label, shown, matching, queries, inbox_t, sql_t, page_t in rows:
            ratio = statistics.median(inbox_t) / statistics.median(sql_t)
            page = (
                f"{pct(page_t, 0.5) * 1e3:7.1f}/{pct(page_t, 0.95) * 1e3:<7.1f}" if page_t else "-"
            )
            print(
                f"{label:<20} {shown:>5} {matching:>7} {queries:>3} "
                f"{pct(inbox_t, 0.5) * 1e3:8.1f}/{pct(inbox_t, 0.95) * 1e3:<8.1f} "
                f"{pct(sql_t, 0.5) * 1e3:6.2f}/{pct(sql_t, 0.95) * 1e3:<8.2f} {ratio:6.1f} {page:>16}"
            )
        if not args.no_page:
            print(
                f"\n{'page':<20} {'q':>3} {'page p50/p95 ms':>17} {'/livez p50/p95 ms':>20} ratio"
            )
            for label, queries, page_t, bare_t in measure_pages(org, chair, seed, args.rounds):
                ratio = statistics.median(page_t) / statistics.median(bare_t)
                print(
                    f"{label:<20} {queries:>3} "
                    f"{pct(page_t, 0.5) * 1e3:8.1f}/{pct(page_t, 0.95) * 1e3:<8.1f} "
                    f"{pct(bare_t, 0.5) * 1e3:10.2f}/{pct(bare_t, 0.95) * 1e3:<9.2f} {ratio:5.1f}"
                )
    finally:
        connections.close_all()
        if args.keep:
            print(f"kept: {name}")
        else:
            subprocess.run(
                ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", name], check=False
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
