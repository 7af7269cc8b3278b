"""The credentials CSV import beside PostgreSQL's COPY of the same file, interleaved in one run.

Run: ``.venv/bin/python benchmarks/register_import.py --rows 100000 [--repeats 3] [--with-old]``

In a fresh database it creates (dropped at the end unless --keep): one body, one credential
program, N people (inserted by SQL: they are not what is measured) and a file of N credentials in
the columns ``import_csv`` reads (``register_scale.write_credentials``: every row passes the checks).
Then, ``--repeats`` times, alternately:

- ``import_csv(data=<the open file>, dry_run=False)``, every check and status event included, into
  empty credential and status event tables (emptied by TRUNCATE before each round);
- ``COPY … FROM STDIN (FORMAT csv, HEADER true)`` of the same file into an empty table of the
  file's columns with the constraints and indexes of ``register_credential``: unique number and
  external id per program, one live credential per holder and program, the two check constraints,
  and the indexes on number, program, holder, created_by, (status, expires_on),
  (status, suspended_until): ten indexes, as ``register_credential`` has; and its three foreign
  keys, deferred to the commit as Django makes them: the program's code and the holder's
  reference to tables of the codes and references (the file names them so), created_by to
  auth_user. The commit is timed;
- the same ``COPY`` into the same table without the foreign keys (the anchor before 2026-12-05),
  printed beside it.

It prints each side's rows per second (median of the rounds), the ratio, and the process's peak
RSS (everything this process did, the import included). ``--with-old`` also times the row-by-row
importer the import used before (once, before the rounds; its peak shows in the RSS).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.register_scale import (  # noqa: E402
    ORG_SLUG,
    PROGRAM_CODE,
    conninfo,
    create_database,
    dbname_of,
    drop_database,
    write_credentials,
)

# What the file's program and holder columns name, for the anchor's foreign keys.
COPY_REFERENCED = """
CREATE TABLE bench_program (code varchar(50) PRIMARY KEY);
CREATE TABLE bench_holder (ref varchar(100) PRIMARY KEY);
"""


def copy_table(name: str, *, foreign_keys: bool) -> str:
    """A table of the file's columns with `register_credential`'s indexes and check constraints
    and, with `foreign_keys`, its three foreign keys (deferred to the commit, as Django makes
    them): program and holder to the tables of what the file names, created_by to auth_user."""

    def fk(target: str) -> str:
        return f"REFERENCES {target} DEFERRABLE INITIALLY DEFERRED" if foreign_keys else ""

    return f"""
CREATE TABLE {name} (
    id bigserial PRIMARY KEY,
    external_id varchar(100), number varchar(50) NOT NULL,
    program varchar(50) NOT NULL {fk("bench_program (code)")},
    holder varchar(100) NOT NULL {fk("bench_holder (ref)")},
    status varchar(20) NOT NULL, issued_on date, expires_on date,
    suspended_until date, conditions text, decision_ref varchar(200),
    created_by_id integer {fk("auth_user (id)")},
    CONSTRAINT {name}_dates_in_order
        CHECK (expires_on IS NULL OR issued_on IS NULL OR expires_on > issued_on),
    CONSTRAINT {name}_suspension_has_end
        CHECK (status <> 'suspended' OR suspended_until IS NOT NULL)
);
CREATE UNIQUE INDEX {name}_unique_number ON {name} (program, number);
CREATE UNIQUE INDEX {name}_unique_external_id ON {name} (program, external_id)
    WHERE external_id <> '';
CREATE UNIQUE INDEX {name}_one_live ON {name} (program, holder)
    WHERE status NOT IN ('revoked', 'surrendered');
CREATE INDEX {name}_number ON {name} (number);
CREATE INDEX {name}_program ON {name} (program);
CREATE INDEX {name}_holder ON {name} (holder);
CREATE INDEX {name}_created_by ON {name} (created_by_id);
CREATE INDEX {name}_status_expires ON {name} (status, expires_on);
CREATE INDEX {name}_status_until ON {name} (status, suspended_until);
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def copy_round(url: str, path: Path, table: str) -> tuple[int, float]:
    import psycopg

    with psycopg.connect(conninfo(url)) as conn:
        conn.execute(f"TRUNCATE {table}")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur:
            with (
                cur.copy(
                    f"COPY {table} (external_id, number, program, holder, status, "
                    "issued_on, expires_on, suspended_until, conditions, decision_ref) "
                    "FROM STDIN WITH (FORMAT csv, HEADER true)"
                ) as copy,
                path.open("rb") as f,
            ):
                while block := f.read(1 << 20):
                    copy.write(block)
            rows = cur.rowcount
        conn.commit()
        return rows, time.perf_counter() - start


def import_round(organization, path: Path) -> tuple[int, float]:
    from django.db import connection

    from ombuds.register.csv import import_csv

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE register_statusevent, register_credential CASCADE")
    start = time.perf_counter()
    with path.open("rb") as f:
        report = import_csv(organization=organization, data=f, dry_run=False)
    seconds = time.perf_counter() - start
    if not report.ok or report.created != report.rows:
        raise SystemExit(
            f"import failed: {report.summary()}\n" + "\n".join(str(e) for e in report.errors[:10])
        )
    return report.rows, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--with-old", action="store_true", help="time the row-by-row importer too")
    args = parser.parse_args()
    url = args.database_url or f"postgres://postgres@127.0.0.1:5432/ombuds_bench_imp_{os.getpid()}"
    # One directory per database, so that a kept database is reused with its own secret key.
    work = Path(tempfile.gettempdir()) / f"ombuds-import-bench-{dbname_of(url)}"
    work.mkdir(exist_ok=True)
    env = {
        "DJANGO_SETTINGS_MODULE": "ombuds.settings",
        "DATABASE_URL": url,
        "OMBUDS_DATA_DIR": str(work / "data"),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    load_before = os.getloadavg()[0]
    try:
        create_database(url)
        fresh = True
    except Exception:  # an existing database (--database-url of a kept one): reused
        fresh = False
    try:
        import subprocess

        if fresh:
            subprocess.run(
                [sys.executable, "-m", "ombuds", "migrate", "--verbosity", "0"],
                cwd=ROOT,
                check=True,
            )
        import django

        django.setup()
        from django.db import connection
        from django.utils import timezone

        from ombuds.bodies.models import Organization
        from ombuds.register.csv import importing
        from ombuds.register.models import CredentialProgram

        organization, _ = Organization.objects.get_or_create(
            slug=ORG_SLUG, defaults={"name": "Benchmark Board of Practitioners", "acronym": "BBP"}
        )
        CredentialProgram.objects.get_or_create(
            organization=organization,
            code=PROGRAM_CODE,
            defaults={"name": "Benchmark Certified Practitioner", "abbreviation": "BCP"},
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE register_statusevent, register_credential, register_person CASCADE"
            )
            cursor.execute("DROP TABLE IF EXISTS bench_copy, bench_copy_bare")
            cursor.execute("DROP TABLE IF EXISTS bench_program, bench_holder")
            cursor.execute(
                """
                INSERT INTO register_person (created_at, updated_at, organization_id, external_id,
                  given_name, family_name, email, phone, city, region, country)
                SELECT now(), now(), %s, 'P' || lpad(i::text, 7, '0'), 'Given', 'Family', '', '',
                  '', '', 'US'
                FROM generate_series(1, %s) AS i
                """,
                [organization.pk, args.rows],
            )
            cursor.execute("ANALYZE register_person")
            cursor.execute(COPY_REFERENCED)
            cursor.execute("INSERT INTO bench_program VALUES (%s)", [PROGRAM_CODE])
            cursor.execute(
                "INSERT INTO bench_holder SELECT external_id FROM register_person "
                "WHERE organization_id = %s",
                [organization.pk],
            )
            cursor.execute("ANALYZE bench_holder")
            cursor.execute(copy_table("bench_copy", foreign_keys=True))
            cursor.execute(copy_table("bench_copy_bare", foreign_keys=False))
        path = work / "credentials.csv"
        write_credentials(path, args.rows, args.seed, timezone.localdate())
        size = path.stat().st_size / 1e6
        print(f"{args.rows:,} credentials, {size:.1f} MB", file=sys.stderr)
        old = None
        if args.with_old:
            real = importing.STAGED_KINDS
            importing.STAGED_KINDS = frozenset()
            old = import_round(organization, path)
            importing.STAGED_KINDS = real
            print(f"  old importer: {old[0] / old[1]:,.0f} rows/s", file=sys.stderr)
        imports, copies, bare = [], [], []
        for n in range(args.repeats):
            rows, seconds = import_round(organization, path)
            imports.append(rows / seconds)
            copy_rows, copy_seconds = copy_round(url, path, "bench_copy")
            copies.append(copy_rows / copy_seconds)
            bare_rows, bare_seconds = copy_round(url, path, "bench_copy_bare")
            bare.append(bare_rows / bare_seconds)
            print(
                f"  round {n + 1}: import {imports[-1]:,.0f} rows/s ({seconds:.2f} s), "
                f"COPY {copies[-1]:,.0f} rows/s ({copy_seconds:.2f} s), "
                f"without foreign keys {bare[-1]:,.0f} rows/s ({bare_seconds:.2f} s)",
                file=sys.stderr,
            )
        connection.close()
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url)
    imp, cp = statistics.median(imports), statistics.median(copies)
    cp_bare = statistics.median(bare)
    print(
        f"credentials import vs COPY, {args.rows:,} rows ({size:.1f} MB), PostgreSQL, "
        f"{os.cpu_count()} cores, {dt.date.today()}, load (1 min) {load_before:.2f} -> "
        f"{os.getloadavg()[0]:.2f}"
    )
    print(f"  import  {imp:>10,.0f} rows/s  (median of {args.repeats})")
    print(f"  COPY    {cp:>10,.0f} rows/s  (same file, same indexes and constraints)")
    print(f"  ratio   {imp / cp:.2f}x COPY's speed (goal: at least 0.5x)")
    print(f"  COPY without the foreign keys {cp_bare:,.0f} rows/s: ratio {imp / cp_bare:.2f}x")
    if old is not None:
        print(f"  old row-by-row importer {old[0] / old[1]:,.0f} rows/s")
    print(f"  peak RSS of this process {peak_rss_mb():,.0f} MB (goal: under 150 MB)")
    print(f"  database {dbname_of(url)}{' kept' if args.keep else ' dropped'}")


if __name__ == "__main__":
    main()
