"""The public verification lookup (``/<body>/register/<number>/``) beside a bare view
(``/livez``), 8 concurrent clients, through gunicorn on PostgreSQL with ``DB_CONN_MAX_AGE=60``.

Run: ``.venv/bin/python benchmarks/lookup_speed.py [--credentials 10000] [--rounds 3]
[--seconds 8] [--workers 4]``

A fresh database (created and dropped): one body, N credentials of one programme. The two loads
alternate, ``rounds`` times each for ``seconds`` (random existing numbers for the lookup); prints
the requests per second and p50/p99 of each round, the medians, and their ratio; then the queries
one lookup makes, from Django's test client. Only 127.0.0.1 is sent traffic. Reuses the load
generator and server handling of `register_scale.py`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import register_scale as rs  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--credentials", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    name = f"ombuds_bench_lookup_{os.getpid()}"
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    work = Path(tempfile.mkdtemp(prefix="ombuds-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ombuds.settings",
        "DATABASE_URL": url,
        "OMBUDS_DATA_DIR": str(work / "data"),
        "DEBUG": "0",
        "ALLOWED_HOSTS": f"{rs.HOST},testserver",
        "OMBUDS_REGISTER_LOOKUPS_PER_MINUTE": "0",
        "OMBUDS_REGISTER_SEARCHES_PER_MINUTE": "0",
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

        from ombuds.bodies.models import Organization
        from ombuds.register.models import Credential, CredentialProgram, Person

        org = Organization.objects.create(slug="bench", name="Bench Council", acronym="BC")
        program = CredentialProgram.objects.create(
            organization=org, code="bcp", name="Bench Certified", abbreviation="BCP"
        )
        people = Person.objects.bulk_create(
            Person(organization=org, given_name=f"Given{i}", family_name=f"Family{i}")
            for i in range(args.credentials)
        )
        Credential.objects.bulk_create(
            Credential(
                program=program,
                holder=p,
                number=f"BCP-{i:07d}",
                status="active",
                issued_on="2022-07-01",
                expires_on="2030-06-30",
            )
            for i, p in enumerate(people)
        )
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        connection.close()
        port = rs.free_port()
        log = work / "gunicorn.log"
        proc = rs.start_gunicorn(env, port, args.workers, log)
        rs.wait_until_up(port, proc, log)
        rng = random.Random(7)
        lookups = [
            f"/bench/register/BCP-{rng.randrange(args.credentials):07d}/" for _ in range(200_000)
        ]
        rs.load(port, lookups[:200], args.clients, 5)  # warm every worker
        rs.load(port, ["/livez"] * 200, args.clients, 5)
        bare, looked = [], []
        for r in range(args.rounds):
            b = rs.load(port, ["/livez"] * 200_000, args.clients, args.seconds)
            start = (r % 4) * 50_000  # four rounds' worth of numbers, then the same again
            paths = lookups[start : start + 50_000]
            lk = rs.load(port, paths, args.clients, args.seconds)
            bare.append(b)
            looked.append(lk)
            for label, x in (("bare /livez", b), ("lookup", lk)):
                print(
                    f"round {r + 1} {label:<14} {x['rps']:8.1f} req/s  p50 {x['p50']:6.1f} ms  "
                    f"p99 {x['p99']:6.1f} ms  failures {x['failures'] or 0}"
                )
        b_rps = statistics.median(x["rps"] for x in bare)
        l_rps = statistics.median(x["rps"] for x in looked)
        print(
            f"median: bare {b_rps:.1f} req/s, lookup {l_rps:.1f} req/s, "
            f"ratio lookup/bare {l_rps / b_rps:.2f}"
        )
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = Client().get("/bench/register/BCP-0000001/")
        print(f"one lookup: status {response.status_code}, {len(captured)} queries:")
        for q in captured:
            print("  ", q["sql"][:150])
    finally:
        rs.stop(proc)
        from django.db import connections

        connections.close_all()
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", name], check=False
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
