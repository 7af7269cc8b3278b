"""Audit appends by 1, 2 and 4 processes: `ombuds.audit.services.record` beside the same rows
inserted into a plain table of the same shape (no chain head, no hashing), on PostgreSQL.

Run: ``.venv/bin/python benchmarks/audit_appends.py [--processes 1,2,4] [--rounds 3]
[--seconds 5]``

A fresh database (created and dropped, its name holds "h3_audit"). For each round and each number
of processes N, two loads run one after the other, interleaved:

- plain: N processes, each inserting rows into ``bench_plain_event`` (``CREATE TABLE ... (LIKE
  audit_event INCLUDING ALL)``: the same columns, primary key, unique hash and index; no foreign
  keys), each row its own transaction, with values computed once beforehand (details already
  sealed, a random unique hash): what the database costs, the floor;
- chain: N processes, each calling ``record()`` (an event of the bench body, with details, a
  label), each event its own transaction: as it commits, the chain head row locked, keys read,
  details hashed and sealed, the link computed, the event and the head written
  (`ombuds.audit.backends`).

With ``--work-ms M``, each transaction spends M ms more in the database after its append, before
it commits (``SELECT pg_sleep``), on both sides: the rest of a change's transaction (a filing
writes its case, allegations, documents and notices after its ``case.filed`` event). The head
is taken as the transaction commits, so that work no longer holds it (before 2026-12-06 it was
taken at the append, and no two such transactions worked at once).

Prints events per second of each load, the medians per N, the ratio chain : plain, and the load
average. Afterwards ``verify()`` must pass and the number of events must be exactly the number the
processes said they appended (the plain table the same).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PLAIN = "bench_plain_event"


def _django() -> None:
    import django

    django.setup()


def _plain_worker(seconds: float, start_at: float, work: float, row: tuple, queue) -> None:
    _django()
    from django.db import connection, transaction

    connection.ensure_connection()
    columns = (
        "occurred_at, organization_id, actor_label, actor_ref, scheme, action, subject_type, "
        "subject_id, data, data_hash, prev_hash, hash, link"
    )
    sql = f"INSERT INTO {PLAIN} ({columns}) VALUES ({', '.join(['%s'] * 13)})"
    done = 0
    time.sleep(max(0.0, start_at - time.time()))
    end = time.monotonic() + seconds
    with connection.cursor() as cur:  # each INSERT its own transaction
        while time.monotonic() < end:
            with transaction.atomic():
                cur.execute(sql, (*row[:-1], secrets.token_hex(32), row[-1]))
                if work:
                    cur.execute("SELECT pg_sleep(%s)", [work])
            done += 1
    connection.close()
    queue.put(done)


def _chain_worker(seconds: float, start_at: float, work: float, org_id: int, queue) -> None:
    _django()
    from django.db import connection, transaction

    from ombuds.audit.services import record
    from ombuds.bodies.models import Organization

    organization = Organization.objects.get(pk=org_id)
    done = 0
    time.sleep(max(0.0, start_at - time.time()))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with transaction.atomic():  # the event's own transaction, as `record` opens when alone
            record(
                action="bench.appended",
                subject_type="case",
                subject_id=f"{os.getpid()}-{done}",
                data={"note": "an event of the benchmark", "n": done, "pid": os.getpid()},
                organization=organization,
                actor_label="anonymous complainant",
            )
            if work:
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_sleep(%s)", [work])
        done += 1
    connection.close()
    queue.put(done)


def _run(target, n: int, seconds: float, extra: tuple) -> tuple[int, float]:
    """N processes of `target` started together; (rows they appended, events per second)."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 2.0  # after every process has set Django up
    procs = [ctx.Process(target=target, args=(seconds, start_at, *extra, queue)) for _ in range(n)]
    for p in procs:
        p.start()
    counts = [queue.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join(30)
        if p.exitcode != 0:
            raise SystemExit(f"a {target.__name__} process exited with {p.exitcode}")
    total = sum(counts)
    return total, total / seconds


def _plain_row(org_id: int) -> tuple:
    """One row as `record` writes it, except the hash (random per insert, it is unique)."""
    from django.utils import timezone

    from ombuds.audit import sealing
    from ombuds.audit.services import canonical

    details = {"note": "an event of the benchmark", "n": 0, "pid": 0}
    return (
        timezone.now(),
        org_id,
        "anonymous complainant",
        "a" * 32,
        2,
        "bench.appended",
        "case",
        "0-0",
        sealing.seal(details, org_id),
        "d" * 64,
        "p" * 64,
        canonical({"seq": 0, "data_hash": "d" * 64, "prev_hash": "p" * 64}),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="1,2,4", help="comma-separated process counts")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--work-ms", type=float, default=0, help="more time in each transaction")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    name = f"ombuds_bench_h3_audit_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="ombuds-bench-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "ombuds.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
            "OMBUDS_DATA_DIR": str(work / "data"),
            "OMBUDS_AUDIT_KEY": "benchmark-audit-key",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    os.environ.pop("OMBUDS_REDIS_URL", None)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    try:
        subprocess.run([sys.executable, "-m", "ombuds", "migrate", "-v", "0"], cwd=ROOT, check=True)
        _django()
        from django.db import connection

        from ombuds.audit.models import ChainHead, Event
        from ombuds.audit.services import verify
        from ombuds.bodies.models import Organization

        org = Organization.objects.create(slug="bench", name="Bench Council", acronym="BC")
        before = Event.objects.count()  # the body's own creation may record events
        with connection.cursor() as cur:
            cur.execute(f"CREATE TABLE {PLAIN} (LIKE audit_event INCLUDING ALL)")
            cur.execute(f"CREATE SEQUENCE {PLAIN}_seq OWNED BY {PLAIN}.seq")
            cur.execute(f"ALTER TABLE {PLAIN} ALTER seq SET DEFAULT nextval('{PLAIN}_seq')")
        row = _plain_row(org.pk)
        connection.close()
        appended = {"plain": 0, "chain": 0}
        results: dict[tuple[str, int], list[float]] = {}
        for r in range(args.rounds):
            for n in counts:
                for side, target, extra in (
                    ("plain", _plain_worker, (args.work_ms / 1000, row)),
                    ("chain", _chain_worker, (args.work_ms / 1000, org.pk)),
                ):
                    total, rate = _run(target, n, args.seconds, extra)
                    appended[side] += total
                    results.setdefault((side, n), []).append(rate)
                    print(
                        f"round {r + 1} {n} process{'es' * (n > 1):<2} {side:<5} "
                        f"{rate:8.1f} events/s ({total} in {args.seconds:g} s)",
                        flush=True,
                    )
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"each transaction {args.work_ms:g} ms more in the database after its append")
        print(f"{'processes':>9}  {'plain/s':>9}  {'chain/s':>9}  chain : plain")
        for n in counts:
            plain = statistics.median(results[("plain", n)])
            chain = statistics.median(results[("chain", n)])
            print(f"{n:>9}  {plain:9.1f}  {chain:9.1f}  1 : {plain / chain:.1f}")
        verdict = verify()
        events = Event.objects.count() - before
        with connection.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {PLAIN}")
            plain_rows = cur.fetchone()[0]
        head = ChainHead.objects.get(key=1)
        print(
            f"verify: ok={verdict.ok} ({verdict.checked} events); chain events {events}, appended "
            f"{appended['chain']}, head count {head.count}; plain rows {plain_rows}, appended "
            f"{appended['plain']}"
        )
        exact = (
            verdict.ok
            and events == appended["chain"]
            and head.count == Event.objects.count()
            and plain_rows == appended["plain"]
        )
        print("every event stored once, chain verifies" if exact else "MISMATCH")
        return 0 if exact else 1
    finally:
        from django.db import connections

        connections.close_all()
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", name], check=False
        )


if __name__ == "__main__":
    raise SystemExit(main())
