"""The public register's search under load on PostgreSQL, beside a bare view, interleaved.

Run: ``.venv/bin/python benchmarks/register_search.py [--rows 100000] [--rows 1000 ...]``

For each size, against a fresh database it creates (and drops at the end unless --keep):

1. Migrates, creates one body, one credential program that publishes its holders' cities, and a
   membership type for agencies; writes N people with one credential each (names and cities drawn
   by a hash of the row number and the seed from `register_scale`'s lists) and N/100 member
   agencies, set-based (``INSERT … SELECT … FROM generate_series``: a million in a minute or two;
   the search is measured here, not the import), builds the search's GIN indexes, then VACUUM
   ANALYZE.
2. Starts the site under gunicorn on 127.0.0.1 (2 workers, DEBUG off, rate limits off,
   ``DB_CONN_MAX_AGE=60``) and sends, from 8 client threads, rounds of requests alternating
   between ``/livez`` (a Django view doing one ``SELECT 1``) and the public register search
   ``/<org>/register/?q=...`` with queries people type: a family name or its first letters, a
   given and a family name, a city. Each round is one endpoint; the rounds alternate so that both
   see the same machine. Prints req/s and p50/p99 latency of each (all rounds pooled) and the
   ratio search : bare view of requests per second.
3. With ``--page-cpu``, before the server starts: the CPU time of this process for one search
   page and for ``/livez`` served in-process by Django's test client (median and p90 over the
   first round's queries, ``--rounds`` times), the page's own cost, which neither the load
   generator nor the machine's other work shares.

Goal (issue 18): search ≥ 0.3× the bare view's requests per second, p99 under 100 ms.
Only 127.0.0.1 is ever sent traffic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import register_scale as rs  # noqa: E402  the shared generators and load tools

ROOT = rs.ROOT
ORG_SLUG = "bench"


def queries(rng: random.Random, n: int) -> list[str]:
    """What people type: a family name or its start, a given and a family name, a city."""
    out = []
    for _ in range(n):
        kind = rng.random()
        family = rng.choice(rs.FAMILY).split()[-1]
        if kind < 0.35:
            out.append(family)
        elif kind < 0.55:
            out.append(family[: rng.randint(3, max(3, len(family) - 1))])
        elif kind < 0.85:
            out.append(f"{rng.choice(rs.GIVEN)} {family}")
        else:
            out.append(rng.choice(rs.PLACES)[0])
    return out


# The people and credentials, set-based (the search is measured here, not the import): names and
# places drawn from `register_scale`'s lists by a hash of the row's number and a seed, so a size
# always gives the same register. PostgreSQL computes each person's stored search vector
# (`search_tsv`, a generated column) and their rows of the word tables (by the triggers of
# migration 0020) as it does for every write of the app; the GIN indexes and the word tables'
# btrees are built again after the rows are in, as one bulk build each.
PEOPLE_SQL = """
INSERT INTO register_person (organization_id, external_id, given_name, family_name, email, phone,
    city, region, country, created_at, updated_at)
SELECT %(org)s, '', (%(given)s::text[])[1 + (hashint4(g * 4 + %(seed)s) & 2147483647) %% %(n_given)s],
    (%(family)s::text[])[1 + (hashint4(g * 4 + 1 + %(seed)s) & 2147483647) %% %(n_family)s],
    '', '', (%(cities)s::text[])[1 + pl], (%(regions)s::text[])[1 + pl], 'US', now(), now()
FROM (SELECT g, (hashint4(g * 4 + 2 + %(seed)s) & 2147483647) %% %(n_places)s AS pl
      FROM generate_series(1, %(rows)s::int) AS g) AS s
ORDER BY g
"""
CREDENTIALS_SQL = """
INSERT INTO register_credential (program_id, holder_id, number, external_id, status, issued_on,
    expires_on, conditions, created_at, updated_at)
SELECT %(program)s, id, 'BCP-' || lpad(g::text, 7, '0'), '', 'active', %(issued)s, %(expires)s,
    '', now(), now()
FROM (SELECT id, row_number() OVER (ORDER BY id) AS g FROM register_person
      WHERE organization_id = %(org)s) AS p
"""
AGENCIES_SQL = """
INSERT INTO register_agency (organization_id, external_id, legal_name, trade_names,
    registration_numbers, address, city, region, postal_code, country, email, phone, website,
    created_at, updated_at)
SELECT %(org)s, '', f || ' Recovery Services ' || i || ', LLC', jsonb_build_array(f || ' Kids ' || i),
    '[]'::jsonb, '', (%(cities)s::text[])[1 + pl], (%(regions)s::text[])[1 + pl], '', '', '', '',
    '', now(), now()
FROM (SELECT i, (%(family)s::text[])[1 + (hashint4(i * 4 + 3 + %(seed)s) & 2147483647) %% %(n_family)s]
        AS f, (hashint4(i * 4 + 2 + %(seed)s) & 2147483647) %% %(n_places)s AS pl
      FROM generate_series(0, %(agencies)s::int - 1) AS i) AS s
ORDER BY i
"""
MEMBERSHIPS_SQL = """
INSERT INTO register_membership (organization_id, membership_type_id, agency_id, external_id,
    number, status, conditions, created_at, updated_at)
SELECT %(org)s, %(agency_type)s, id, '', 'AG-' || lpad(i::text, 7, '0'), 'active', '', now(), now()
FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM register_agency
      WHERE organization_id = %(org)s) AS a
"""


def populate(rows: int, seed: int, note) -> None:
    from django.db import connection, transaction

    from ombuds.bodies.models import Organization
    from ombuds.register import fulltext
    from ombuds.register.models import CredentialProgram, MembershipType

    organization = Organization.objects.create(
        slug=ORG_SLUG, name="Benchmark Board of Practitioners", acronym="BBP"
    )
    program = CredentialProgram.objects.create(
        organization=organization,
        code="bcp",
        name="Benchmark Certified Practitioner",
        abbreviation="BCP",
        public_fields=["city", "region"],
    )
    agency_type = MembershipType.objects.create(
        organization=organization, code="agency", name="Member agency", kind="organization"
    )
    today = dt.date.today()
    params = {
        "org": organization.pk,
        "program": program.pk,
        "agency_type": agency_type.pk,
        "seed": seed % 1_000_000,
        "rows": rows,
        "agencies": max(1, rows // 100),
        "given": rs.GIVEN,
        "n_given": len(rs.GIVEN),
        "family": rs.FAMILY,
        "n_family": len(rs.FAMILY),
        "cities": [c for c, _r in rs.PLACES],
        "regions": [r for _c, r in rs.PLACES],
        "n_places": len(rs.PLACES),
        "issued": today - dt.timedelta(days=400),
        "expires": today + dt.timedelta(days=700),
    }
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        with transaction.atomic():
            cursor.execute('DROP INDEX IF EXISTS "person_search_tsv"')
            cursor.execute('DROP INDEX IF EXISTS "agency_search_tsv"')
            for index in fulltext.WORD_INDEXES:
                cursor.execute(f'DROP INDEX IF EXISTS "{index}"')
            for sql in (PEOPLE_SQL, CREDENTIALS_SQL, AGENCIES_SQL, MEMBERSHIPS_SQL):
                cursor.execute(sql, params)
        fulltext.postgresql_create(cursor)  # the GIN indexes again, as migration 0019 makes them
        fulltext.postgresql_create_word_indexes(cursor)  # and the word btrees, as 0020 does
        cursor.execute("VACUUM ANALYZE")
    note(f"  {rows:,} people and credentials in {time.perf_counter() - start:.1f} s")


def page_cpu(paths: list[str], rounds: int) -> dict:
    """The CPU time of this process for each page, in-process (Django's test client: the same
    middleware and view, no server, no network), search pages and `/livez` alternating by round:
    the page's own cost, which the load generator's threads do not share."""
    import statistics

    from django.test import Client, override_settings

    limits_off = override_settings(
        ALLOWED_HOSTS=["testserver"],
        DEBUG=False,
        OMBUDS_REGISTER_SEARCHES_PER_MINUTE=0,
        OMBUDS_REGISTER_LOOKUPS_PER_MINUTE=0,
    )
    times: dict[str, list[float]] = {"search": [], "bare": []}
    with limits_off:
        client = Client()
        for path in paths[:20] + ["/livez"] * 20:
            client.get(path)  # warm: templates, URL resolvers, the connection
        for _ in range(rounds):
            for name, round_paths in (("search", paths), ("bare", ["/livez"] * len(paths))):
                for path in round_paths:
                    start = time.process_time()
                    response = client.get(path)
                    times[name].append(time.process_time() - start)
                    if response.status_code != 200:
                        raise SystemExit(f"GET {path}: {response.status_code}")
    return {
        name: {
            "median": statistics.median(t) * 1000,
            "p90": statistics.quantiles(t, n=10)[-1] * 1000,
        }
        for name, t in times.items()
    }


def run_size(args, rows: int, note) -> dict:
    name = f"ombuds_search_bench_{args.tag}_{os.getpid()}_{rows}".replace("__", "_")
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    work = Path(tempfile.mkdtemp(prefix="ombuds-search-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ombuds.settings",
        "DATABASE_URL": url,
        "OMBUDS_DATA_DIR": str(work / "data"),
        "DEBUG": "0",
        "ALLOWED_HOSTS": rs.HOST,
        "OMBUDS_REGISTER_LOOKUPS_PER_MINUTE": "0",
        "OMBUDS_REGISTER_SEARCHES_PER_MINUTE": "0",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "60",
    }
    env.pop("OMBUDS_REDIS_URL", None)
    os.environ.update(env)
    proc = None
    created = False
    try:
        note(f"{rows:,} people: creating {rs.dbname_of(url)}")
        rs.create_database(url)
        created = True
        for command in (["migrate", "--verbosity", "0"], ["collectstatic", "--noinput", "-v", "0"]):
            subprocess.run(
                [sys.executable, "-m", "ombuds", *command], cwd=ROOT, env=env, check=True
            )
        from django.db import connections

        # Settings were read once, at django.setup(): point the connection at this size's database.
        connections.close_all()
        connections["default"].settings_dict["NAME"] = rs.dbname_of(url)
        populate(rows, args.seed, note)
        connections.close_all()

        rng = random.Random(args.seed + 3)
        search_paths = [
            f"/{ORG_SLUG}/register/?q={quote(q)}" for q in queries(rng, args.requests * args.rounds)
        ]
        cpu = page_cpu(search_paths[: args.requests], args.rounds) if args.page_cpu else None
        connections.close_all()
        bare_paths = ["/livez"] * (args.requests * args.rounds)
        port = rs.free_port()
        log = work / "gunicorn.log"
        proc = rs.start_gunicorn(env, port, args.workers, log)
        rs.wait_until_up(port, proc, log, seconds=180)
        for path in search_paths[:40] + bare_paths[:20]:
            status, body = rs.get(port, path)
            if status != 200:
                raise SystemExit(f"GET {path}: {status}\n{body[:2000].decode(errors='replace')}")
        pooled: dict[str, list] = {"search": [], "bare": []}
        for r in range(args.rounds):
            chunk = slice(r * args.requests, (r + 1) * args.requests)
            for name, paths in (("bare", bare_paths[chunk]), ("search", search_paths[chunk])):
                pooled[name].append(
                    rs.load(port, paths, args.clients, args.seconds, keep_latencies=True)
                )
        result = {"rows": rows, "cpu": cpu}
        for name, rounds in pooled.items():
            latencies = sorted(x for r in rounds for x in r["latencies"])
            wall = sum(r["wall"] for r in rounds)
            result[name] = {
                "ok": len(latencies),
                "failed": sum(sum(r["failures"].values()) for r in rounds),
                "rps": len(latencies) / wall if wall else 0.0,
                "p50": rs.percentile(latencies, 50) if latencies else float("nan"),
                "p99": rs.percentile(latencies, 99) if latencies else float("nan"),
            }
        note(
            f"  search {result['search']['rps']:.0f} req/s p99 {result['search']['p99']:.1f} ms; "
            f"bare {result['bare']['rps']:.0f} req/s p99 {result['bare']['p99']:.1f} ms"
        )
        return result
    finally:
        rs.stop(proc)
        if created and not args.keep:
            from django.db import connections

            connections.close_all()
            rs.drop_database(url)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, action="append", help="people (repeat for several sizes)"
    )
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=500, help="requests per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per endpoint, alternating")
    parser.add_argument("--seconds", type=float, default=60, help="time limit per round")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--tag", default="", help="a word in the databases' names (who runs it)")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--page-cpu",
        action="store_true",
        help="first, in-process: the CPU time of a search page and of /livez (ms, median, p90)",
    )
    args = parser.parse_args()
    sizes = args.rows or [1000, 100_000]

    def note(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ombuds.settings")
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/postgres"
    import django

    django.setup()
    load_before = os.getloadavg()[0]
    results = [run_size(args, rows, note) for rows in sizes]
    print()
    print(
        f"Public register search, PostgreSQL, {os.cpu_count()} cores, gunicorn {args.workers} "
        f"workers, {args.clients} clients, {args.rounds} alternating rounds of {args.requests} "
        f"requests per endpoint, {dt.date.today().isoformat()}; load average {load_before:.2f} "
        f"at the start, {os.getloadavg()[0]:.2f} at the end"
    )
    print(
        f"  {'people':>9}  {'endpoint':<20} {'ok':>6} {'failed':>6} {'req/s':>7} "
        f"{'p50 ms':>7} {'p99 ms':>7}"
    )
    for r in results:
        for name, label in (("search", "search ?q="), ("bare", "/livez")):
            x = r[name]
            print(
                f"  {r['rows']:>9,}  {label:<20} {x['ok']:>6,} {x['failed']:>6,} {x['rps']:>7.0f} "
                f"{x['p50']:>7.1f} {x['p99']:>7.1f}"
            )
        if r["cpu"]:
            c = r["cpu"]
            print(
                f"  {r['rows']:>9,}  in-process CPU a page, ms (median / p90): search "
                f"{c['search']['median']:.2f} / {c['search']['p90']:.2f}, /livez "
                f"{c['bare']['median']:.2f} / {c['bare']['p90']:.2f}"
            )
        ratio = r["search"]["rps"] / r["bare"]["rps"] if r["bare"]["rps"] else float("nan")
        verdict = "met" if ratio >= 0.3 and r["search"]["p99"] < 100 else "not met"
        print(
            f"  {r['rows']:>9,}  ratio search : bare = {ratio:.2f}x req/s; "
            f"goal (≥ 0.3x, p99 < 100 ms) {verdict}"
        )


if __name__ == "__main__":
    main()
