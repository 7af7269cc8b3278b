"""The register at scale on PostgreSQL: CSV import beside COPY, and lookups under concurrent load.

Run: ``.venv/bin/python benchmarks/register_scale.py [--rows 1000000] [--keep]``
(quick check: ``--rows 20000``, well under a minute).

What it does, in one run, against a fresh database it creates (and drops at the end unless --keep):

1. Migrates the database (``ombuds migrate`` in a subprocess), creates one body and one credential
   program, generates N people and N credentials deterministically (fixed seed) as CSV files in the
   columns ``import_csv`` reads, and times ``import_csv(dry_run=False)`` on each: rows per second.
   ``ANALYZE register_person`` runs between the two imports, as autovacuum would a minute after the
   people arrive; ``--no-analyze`` leaves it out, which PostgreSQL pays for in the holder look-ups.
2. Times PostgreSQL's own ``COPY ... FROM STDIN (FORMAT csv, HEADER true)`` of the same credentials
   file into a scratch table with the same columns (no indexes, no constraints), and prints the ratio
   Ombuds import rows/s : COPY rows/s.
3. Starts the site under gunicorn on 127.0.0.1 (a free port, 2 workers, DEBUG off, the register's
   rate limits off) and sends a bounded load (8 client threads, 2,000 requests, at most 60 seconds
   each) at ``/livez``, the bare baseline (a Django view doing one ``SELECT 1``), then the same
   load of public verification lookups of random existing credential numbers,
   ``/<org>/register/<number>/``. Prints median and 99th-percentile latency of each and their ratio.
   The site runs with ``DB_CONN_MAX_AGE=60`` (a worker keeps its database connection) unless
   ``--conn-max-age`` says otherwise; ``--conn-max-age 60,0`` runs the load once per setting, 0 being
   the site's default, which opens a PostgreSQL connection for every request.
4. Prints a summary table.

Only 127.0.0.1 is ever sent traffic. The client threads run in this process, on the same machine as
the server and PostgreSQL, so the latencies include the client's own overhead (the same for both
endpoints).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.client
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ORG_SLUG = "bench"
PROGRAM_CODE = "bcp"
HOST = "127.0.0.1"  # the only address this script ever sends a request to

PEOPLE_COLUMNS = [
    "external_id",
    "given_name",
    "family_name",
    "email",
    "phone",
    "city",
    "region",
    "country",
]
CREDENTIAL_COLUMNS = [
    "external_id",
    "number",
    "program",
    "holder",
    "status",
    "issued_on",
    "expires_on",
    "suspended_until",
    "conditions",
    "decision_ref",
]

# fmt: off
GIVEN = [
    "Ann", "Maria", "José", "Wei", "Fatima", "Olu", "Liam", "Noah", "Emma", "Ava", "Mia", "Lucas",
    "Chen", "Aisha", "Omar", "Sofia", "Ivan", "Priya", "Kofi", "Yuki", "Elena", "Mateo", "Zara",
    "Hannah", "Amir", "Leila", "Tomás", "Grace", "Ines", "Kenji", "Nadia", "Ravi", "Chloé", "Sean",
    "Jin",
]
FAMILY = [
    "Smith", "García", "Nguyen", "Okafor", "Müller", "Rossi", "Kowalski", "Haddad", "Tanaka",
    "Silva", "Johnson", "O'Brien", "Dubois", "Ahmed", "Patel", "Kim", "Ivanova", "Mensah", "Cohen",
    "Schmidt", "López", "Jensen", "Novak", "Hughes", "Andersson", "Costa", "Park", "de la Cruz",
    "Ruiz-Cruz", "Van Dijk", "Singh", "Fischer", "Moreau", "Bianchi", "Yilmaz", "Adeyemi",
    "Larsen", "Murphy",
]
# fmt: on
PLACES = [
    ("Springfield", "Illinois"),
    ("Columbus", "Ohio"),
    ("Austin", "Texas"),
    ("Portland", "Oregon"),
    ("Madison", "Wisconsin"),
    ("Raleigh", "North Carolina"),
    ("Boise", "Idaho"),
    ("Albany", "New York"),
    ("Denver", "Colorado"),
    ("Tucson", "Arizona"),
]
CONDITIONS = [
    "Supervised practice, reviewed monthly",
    'Practice limited to "supported employment", no job coaching',
    "Must complete 6 ethics units by the next renewal",
]


CYCLE_DAYS = 3 * 365


def person_ref(i: int) -> str:
    return f"P{i:07d}"


def credential_number(i: int) -> str:
    return f"BCP-{i:07d}"


# --- generating the files -----------------------------------------------------------------------


def write_people(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(PEOPLE_COLUMNS)
        for i in range(1, rows + 1):
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            city, region = rng.choice(PLACES)
            local = "".join(ch for ch in f"{given}.{family}".lower() if ch.isascii() and ch != "'")
            w.writerow(
                [
                    person_ref(i),
                    given,
                    family,
                    f"{local.replace(' ', '')}{i}@example.org",
                    f"+1 555 {rng.randrange(10**7):07d}",
                    city,
                    region,
                    "US",
                ]
            )


def write_credentials(path: Path, rows: int, seed: int, today: dt.date) -> None:
    """One credential per person, in a realistic mix of statuses; each row passes the import's
    checks: dates in order, and a status that agrees with them on the day of the import (active and
    suspended not yet past their expiry date, expired and lapsed past it), a suspension with its
    end date (after today) and decision."""
    rng = random.Random(seed + 1)
    statuses = (
        ["active"] * 80
        + ["expired"] * 6
        + ["candidate"] * 5
        + ["inactive"] * 3
        + ["lapsed"] * 2
        + ["suspended"] * 2
        + ["revoked"] * 1
        + ["surrendered"] * 1
    )
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(CREDENTIAL_COLUMNS)
        for i in range(1, rows + 1):
            status = rng.choice(statuses)
            issued = expires = until = ""
            conditions = decision = ""
            if status != "candidate":
                # A three-year cycle: issued within the last three years it is still running.
                if status in ("active", "suspended"):
                    age = rng.randrange(1, CYCLE_DAYS)
                elif status in ("expired", "lapsed"):
                    age = rng.randrange(CYCLE_DAYS + 1, 3650)
                else:
                    age = rng.randrange(1, 3650)
                start = today - dt.timedelta(days=age)
                issued = start.isoformat()
                expires = (start + dt.timedelta(days=CYCLE_DAYS)).isoformat()
            if status == "suspended":
                until = (today + dt.timedelta(days=rng.randrange(30, 400))).isoformat()
                decision = f"EC-{today.year}-{i}"
            elif status == "revoked":
                decision = f"EC-{today.year}-{i}"
            if rng.random() < 0.02:
                conditions = rng.choice(CONDITIONS)
            w.writerow(
                [
                    f"C{i:07d}",
                    credential_number(i),
                    PROGRAM_CODE,
                    person_ref(i),
                    status,
                    issued,
                    expires,
                    until,
                    conditions,
                    decision,
                ]
            )


# --- the database -------------------------------------------------------------------------------


def with_dbname(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def dbname_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def conninfo(url: str) -> str:
    """psycopg takes postgresql:// but not the postgres:// form dj-database-url also reads."""
    return "postgresql://" + url.split("://", 1)[1]


def create_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(conninfo(with_dbname(url, "postgres")), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname_of(url))))


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(conninfo(with_dbname(url, "postgres")), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(dbname_of(url))
            )
        )


def copy_baseline(url: str, path: Path) -> tuple[int, float]:
    """COPY the credentials file into a scratch table of the same columns: (rows, seconds)."""
    import psycopg

    with psycopg.connect(conninfo(url)) as conn:
        conn.execute(
            """
            CREATE TABLE bench_copy (
                external_id varchar(100), number varchar(50), program varchar(50),
                holder varchar(100), status varchar(20), issued_on date, expires_on date,
                suspended_until date, conditions text, decision_ref varchar(200)
            )
            """
        )
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur:
            with (
                cur.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
                path.open("rb") as f,
            ):
                while block := f.read(1 << 20):
                    copy.write(block)
            rows = cur.rowcount
        conn.commit()
        seconds = time.perf_counter() - start
        conn.execute("DROP TABLE bench_copy")
        conn.commit()
    return rows, seconds


# --- the import ---------------------------------------------------------------------------------


def timed_import(organization, path: Path, label: str, quiet: bool) -> dict:
    from ombuds.register.csv import import_csv

    data = path.read_bytes()
    marks: dict[str, float] = {}
    start = time.perf_counter()
    last_note = [start]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        marks.setdefault(f"{phase}_first", now)
        marks[f"{phase}_last"] = now
        if not quiet and (now - last_note[0] > 10 or done == total):
            last_note[0] = now
            print(f"  {label}: {phase} {done:,}/{total:,} ({now - start:.0f} s)", file=sys.stderr)

    report = import_csv(organization=organization, data=data, dry_run=False, progress=progress)
    seconds = time.perf_counter() - start
    if not report.ok:
        raise SystemExit(
            f"{label} import failed: {report.summary()}\n"
            + "\n".join(str(e) for e in report.errors[:10])
        )
    if report.created != report.rows:
        raise SystemExit(f"{label} import: expected {report.rows} created, got {report.summary()}")
    checked = marks.get("checking_last", start) - start
    return {
        "rows": report.rows,
        "seconds": seconds,
        "rate": report.rows / seconds,
        # Parsing and per-row checks; then the look-ups of existing records and the inserts.
        "checked": checked,
        "written": seconds - checked,
    }


# --- the site under load ------------------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def get(port: int, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": HOST, "Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_until_up(port: int, proc: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if get(port, "/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(
        f"gunicorn did not answer /healthz within {seconds} s:\n{log.read_text()[-3000:]}"
    )


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of a sorted list."""
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def load(
    port: int, paths: list[str], clients: int, seconds: float, *, keep_latencies: bool = False
) -> dict:
    """Send every path once (as far as the time allows) from `clients` threads; latencies in ms
    (each one under "latencies" with `keep_latencies`)."""
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    failures: dict[str, int] = {}
    deadline = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(paths):
                return
            start = time.perf_counter()
            try:
                status, _body = get(port, paths[i])
            except OSError as exc:
                status, key = None, type(exc).__name__
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    key = str(status) if status is not None else key
                    failures[key] = failures.get(key, 0) + 1

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 15)
    wall = time.perf_counter() - start
    latencies.sort()
    return {
        **({"latencies": latencies} if keep_latencies else {}),
        "ok": len(latencies),
        "failures": failures,
        "wall": wall,
        "rps": len(latencies) / wall if wall else 0.0,
        "p50": percentile(latencies, 50) if latencies else float("nan"),
        "p99": percentile(latencies, 99) if latencies else float("nan"),
    }


def start_gunicorn(env: dict, port: int, workers: int, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "ombuds.wsgi:application",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(workers),
                "--error-logfile",
                "-",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # gunicorn's master stops its workers
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# --- the run ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="people and credentials each")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL of the database to create "
        "(default postgres://postgres@127.0.0.1:5432/ombuds_bench_<pid>)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the files")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint")
    parser.add_argument("--seconds", type=float, default=60, help="time limit per endpoint")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--conn-max-age",
        default="60",
        help="DB_CONN_MAX_AGE of the site under load; several, comma-separated, run the load once "
        "each (e.g. 60,0). Default 60: each worker keeps its connection; the site's own default, "
        "0, opens a PostgreSQL connection per request",
    )
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="no ANALYZE between the people and the credentials imports: the credentials import "
        "runs on the statistics PostgreSQL has before autovacuum has seen the new people",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    try:
        conn_ages = [int(v) for v in args.conn_max_age.split(",")]
    except ValueError:
        parser.error("--conn-max-age: whole numbers of seconds, comma-separated")

    url = args.database_url or f"postgres://postgres@127.0.0.1:5432/ombuds_bench_{os.getpid()}"
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        parser.error("--database-url must be a postgres:// URL")
    work = Path(tempfile.mkdtemp(prefix="ombuds-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ombuds.settings",
        "DATABASE_URL": url,
        "OMBUDS_DATA_DIR": str(work / "data"),  # secret key, cache and static files: not the repo's
        "DEBUG": "0",
        "ALLOWED_HOSTS": HOST,
        "OMBUDS_REGISTER_LOOKUPS_PER_MINUTE": "0",
        "OMBUDS_REGISTER_SEARCHES_PER_MINUTE": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("OMBUDS_REDIS_URL", None)
    os.environ.update(env)

    def note(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    load_before = os.getloadavg()[0]
    created = False
    proc = None
    try:
        note(f"creating {dbname_of(url)}; files in {work}")
        create_database(url)
        created = True
        for command in (["migrate", "--verbosity", "0"], ["collectstatic", "--noinput", "-v", "0"]):
            # DEBUG off serves static files from a manifest: collectstatic builds it (in the temp dir).
            subprocess.run(
                [sys.executable, "-m", "ombuds", *command], cwd=ROOT, env=env, check=True
            )

        import django

        django.setup()
        from django.db import connection
        from django.utils import timezone

        from ombuds.bodies.models import Organization
        from ombuds.register.models import CredentialProgram

        organization = Organization.objects.create(
            slug=ORG_SLUG, name="Benchmark Board of Practitioners", acronym="BBP"
        )
        CredentialProgram.objects.create(
            organization=organization,
            code=PROGRAM_CODE,
            name="Benchmark Certified Practitioner",
            abbreviation="BCP",
            public_fields=["city", "region"],
        )

        today = timezone.localdate()
        people_csv, credentials_csv = work / "people.csv", work / "credentials.csv"
        start = time.perf_counter()
        write_people(people_csv, args.rows, args.seed)
        write_credentials(credentials_csv, args.rows, args.seed, today)
        note(
            f"generated {args.rows:,} people ({people_csv.stat().st_size / 1e6:.1f} MB) and "
            f"{args.rows:,} credentials ({credentials_csv.stat().st_size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - start:.1f} s"
        )

        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            autovacuum = cursor.fetchone()[0]

        people = timed_import(organization, people_csv, "people", args.quiet)
        note(f"people: {people['rows']:,} rows in {people['seconds']:.1f} s")
        if not args.no_analyze:
            # Fresh planner statistics for the people the credentials name, as autovacuum gives
            # them a minute or so after a large change. Without them (--no-analyze, or an import
            # started right after the people's), PostgreSQL plans the holder look-ups as if the
            # table were empty.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE register_person")
        credentials = timed_import(organization, credentials_csv, "credentials", args.quiet)
        note(f"credentials: {credentials['rows']:,} rows in {credentials['seconds']:.1f} s")

        copy_rows, copy_seconds = copy_baseline(url, credentials_csv)
        copy_rate = copy_rows / copy_seconds
        note(f"COPY: {copy_rows:,} rows in {copy_seconds:.2f} s")

        # Lookups are measured with fresh planner statistics, as autovacuum leaves them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        connection.close()

        rng = random.Random(args.seed + 2)
        lookup_paths = [
            f"/{ORG_SLUG}/register/{credential_number(rng.randint(1, args.rows))}/"
            for _ in range(args.requests)
        ]
        bare_paths = ["/livez"] * args.requests

        loads = []  # (DB_CONN_MAX_AGE, lookup figures, bare figures)
        for age in conn_ages:
            port = free_port()
            log = work / f"gunicorn-{age}.log"
            proc = start_gunicorn({**env, "DB_CONN_MAX_AGE": str(age)}, port, args.workers, log)
            wait_until_up(port, proc, log)
            note(f"gunicorn up on {HOST}:{port}, {args.workers} workers, DB_CONN_MAX_AGE={age}")
            for path in lookup_paths[:20] + bare_paths[:20]:  # warm up both workers
                status, body = get(port, path)
                if status != 200:
                    raise SystemExit(
                        f"GET {path}: {status}\n{body[:2000].decode(errors='replace')}"
                    )
            bare = load(port, bare_paths, args.clients, args.seconds)
            note(f"  /livez: {bare['ok']:,} ok in {bare['wall']:.1f} s")
            lookup = load(port, lookup_paths, args.clients, args.seconds)
            note(f"  lookups: {lookup['ok']:,} ok in {lookup['wall']:.1f} s")
            stop(proc)
            proc = None
            loads.append((age, lookup, bare))
    finally:
        stop(proc)
        if created and not args.keep:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:  # django may not be set up yet
                pass
            drop_database(url)
        if args.keep:
            note(f"kept: {url} and {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    import_rate = credentials["rate"]
    print()
    print(
        f"Ombuds register at scale: {args.rows:,} people + {args.rows:,} credentials, "
        f"PostgreSQL, {os.cpu_count()} cores, {dt.date.today().isoformat()}"
    )
    print(
        f"Load average (1 min) at the start {load_before:.2f}, at the end {os.getloadavg()[0]:.2f}:"
        " anything else running on the machine shows in the figures"
    )
    print()
    analyzed = "no ANALYZE" if args.no_analyze else "ANALYZE register_person"
    print(
        f"Import (import_csv, dry_run=False; parse+check | look-ups+writes; {analyzed} between "
        f"the two; autovacuum {autovacuum}; peak RSS {peak_rss_mb():,.0f} MB)"
    )
    for label, r in (("people", people), ("credentials", credentials)):
        print(
            f"  {label:<12} {r['rows']:>10,} rows {r['seconds']:>8.1f} s {r['rate']:>10,.0f} rows/s"
            f"   ({r['checked']:.1f} s | {r['written']:.1f} s)"
        )
    print(
        f"  {'COPY':<12} {copy_rows:>10,} rows {copy_seconds:>8.2f} s {copy_rate:>10,.0f} rows/s"
        "   (same credentials file, scratch table, no indexes)"
    )
    print(
        f"  ratio Ombuds import : COPY = 1 : {copy_rate / import_rate:.1f}"
        f"  (import at {100 * import_rate / copy_rate:.1f}% of COPY's speed)"
    )
    print()
    print(
        f"Load: {args.clients} clients, {args.requests:,} requests per endpoint, at most "
        f"{args.seconds:.0f} s each, gunicorn {args.workers} workers, rate limits off, DEBUG off"
    )
    print(
        f"  {'DB_CONN_MAX_AGE':>15}  {'endpoint':<32} {'ok':>6} {'failed':>7} {'req/s':>7} "
        f"{'p50 ms':>8} {'p99 ms':>8}"
    )
    for age, lookup, bare in loads:
        for label, r in (
            (f"/{ORG_SLUG}/register/<number>/", lookup),
            ("/livez (bare view, SELECT 1)", bare),
        ):
            failed = sum(r["failures"].values())
            print(
                f"  {age:>15}  {label:<32} {r['ok']:>6,} {failed:>7,} {r['rps']:>7.0f} "
                f"{r['p50']:>8.1f} {r['p99']:>8.1f}"
            )
            if r["failures"]:
                print(f"    failures: {r['failures']}")
        print(
            f"  {age:>15}  ratio lookup : bare = p50 {lookup['p50'] / bare['p50']:.2f}x, "
            f"p99 {lookup['p99'] / bare['p99']:.2f}x"
        )
    print()
    print("Summary")
    rows = [
        ("rows (people, credentials each)", f"{args.rows:,}"),
        ("people import rows/s", f"{people['rate']:,.0f}"),
        ("credentials import rows/s", f"{import_rate:,.0f}"),
        ("COPY rows/s", f"{copy_rate:,.0f}"),
        ("import : COPY", f"1 : {copy_rate / import_rate:.1f}"),
        ("statistics before credentials", analyzed),
    ]
    for age, lookup, bare in loads:
        rows += [
            (f"lookup p50 / p99 ms (conn age {age})", f"{lookup['p50']:.1f} / {lookup['p99']:.1f}"),
            (f"bare view p50 / p99 ms (conn age {age})", f"{bare['p50']:.1f} / {bare['p99']:.1f}"),
            (
                f"lookup : bare p50, p99 (conn age {age})",
                f"{lookup['p50'] / bare['p50']:.2f}x, {lookup['p99'] / bare['p99']:.2f}x",
            ),
        ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value:>20}")


if __name__ == "__main__":
    main()
