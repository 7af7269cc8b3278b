"""The keyed audit chain at scale: `verify`'s events per second beside a plain SHA-256 pass.

Run: ``.venv/bin/python benchmarks/audit_verify.py [--events 1000000] [--database-url URL]``
(quick check: ``--events 50000``). Without ``--database-url`` it runs on a fresh SQLite database in a
temporary folder; with a PostgreSQL URL it creates that database (dropped at the end unless --keep).

What it does:

1. Builds N events in bulk, computing the chain in Python exactly as `record` does (HMAC-SHA256
   links under a fixed audit key, keyed details' hashes, pseudonymous actor ids), inserted 5,000
   at a time: not N service calls.
2. Times `ombuds.audit.services.verify()` over the whole chain: events per second.
3. Times a plain pass over the same rows and the same bytes, read the same way (keyset pages of
   plain rows), canonicalised the same way, hashed with unkeyed SHA-256 (the old chain's cost):
   events per second, and the ratio keyed : plain. Steps 2 and 3 run twice, alternately, and the
   best time of each counts.
4. Times the hashing alone, in memory, on the link texts of 200,000 events: HMAC-SHA256 beside
   SHA-256.

The details are sealed at rest (`ombuds.audit.sealing`, with the deployment's data key here), so
verify opens each event's details before it hashes them, and so does the plain pass (it reads the
rows the same way). ``--no-sealing`` builds and verifies with the details in clear, to measure what
the sealing costs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LABELS = ["system", "anonymous complainant", "respondent (link)", "Pat Complainant (complainant)"]


def _setup(args) -> None:
    data_dir = tempfile.mkdtemp(prefix="ombuds-bench-audit-")
    os.environ["OMBUDS_DATA_DIR"] = data_dir
    os.environ["OMBUDS_AUDIT_KEY"] = "benchmark-audit-key"
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ombuds.settings")
    if args.database_url and args.database_url.startswith("postgres"):
        _create_pg(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_pg(url: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build(n: int, batch: int = 5000) -> float:
    """N chained events, bulk-inserted; returns the seconds it took."""
    from ombuds.audit import keys, services
    from ombuds.audit.models import ChainHead, Event

    key = keys.chain_key()
    pseudonyms = keys.pseudonym_key(key)
    refs = {label: services.actor_ref(label=label, pseudonyms=pseudonyms) for label in LABELS}
    start, prev = time.perf_counter(), services.GENESIS
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    page: list[Event] = []
    for seq in range(1, n + 1):
        label = LABELS[seq % len(LABELS)]
        data = {"to": f"state-{seq % 7}", "n": seq, "reason": "a step of the procedure"}
        event = Event(
            seq=seq,
            scheme=2,
            occurred_at=base + dt.timedelta(seconds=seq),
            actor_label=label,
            actor_ref=refs[label],
            action="case.transition",
            subject_type="case",
            subject_id=str(seq % 5000),
            data=data,
            data_hash=services.details_hash(data, key=key),
            prev_hash=prev,
        )
        event.hash = prev = services.event_hash(event, key=key)
        page.append(event)
        if len(page) == batch:
            Event.objects.bulk_create(page)
            page = []
    if page:
        Event.objects.bulk_create(page)
    ChainHead.objects.update_or_create(
        key=1,
        defaults={"last_seq": n, "last_hash": prev, "count": n, "key_id": keys.key_id(key)},
    )
    return time.perf_counter() - start


def plain_pass() -> tuple[int, float]:
    """What verify reads and hashes, hashed with unkeyed SHA-256 instead."""
    from ombuds.audit import services

    start, count = time.perf_counter(), 0
    for row in services._rows(5000):
        details = services.canonical(row["data"])
        hashlib.sha256(("details\n" + details).encode()).hexdigest()
        fields = {k: v for k, v in row.items() if k not in ("data", "purged_at", "hash")}
        hashlib.sha256(services.link_text(**fields).encode()).hexdigest()
        count += 1
    return count, time.perf_counter() - start


def hashing_alone(sample: int = 200_000) -> tuple[float, float]:
    from ombuds.audit import keys, services

    texts = []
    for row in services._rows(5000):
        fields = {k: v for k, v in row.items() if k not in ("data", "purged_at", "hash")}
        texts.append(services.link_text(**fields).encode())
        if len(texts) >= sample:
            break
    key = keys.chain_key()
    start = time.perf_counter()
    for text in texts:
        hmac.digest(key, text, "sha256").hex()
    keyed = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts:
        hashlib.sha256(text).hexdigest()
    return len(texts) / keyed, len(texts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="default: a fresh SQLite database")
    parser.add_argument("--keep", action="store_true", help="keep the database (and data folder)")
    parser.add_argument("--no-sealing", action="store_true", help="details in clear, to compare")
    args = parser.parse_args()
    _setup(args)
    from django.conf import settings
    from django.db import connection

    settings.OMBUDS_ENCRYPT_FIELDS = not args.no_sealing

    from ombuds.audit import services

    built = build(args.events)
    sealed = "in clear" if args.no_sealing else "sealed"
    print(f"{connection.vendor}: {args.events:,} events, details {sealed}, built in {built:.1f} s")
    # Each pass twice, alternately, the best of each kept: neither profits from the other's warm
    # caches (the database's pages, the OS's file cache).
    keyed = plain = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        verdict = services.verify()
        keyed = min(keyed, time.perf_counter() - start)
        assert verdict.ok and verdict.checked == args.events, verdict
        count, took = plain_pass()
        plain = min(plain, took)
    hmac_rate, sha_rate = hashing_alone()
    rows = [
        ("verify (HMAC-SHA256 links, keyed details)", args.events / keyed, keyed),
        ("plain SHA-256 pass, same rows and bytes", count / plain, plain),
    ]
    for name, rate, took in rows:
        print(f"  {name:<44} {rate:>12,.0f} events/s  ({took:.1f} s)")
    print(f"  ratio keyed : plain = {keyed / plain:.2f} (time), {plain / keyed:.2f} (throughput)")
    print(
        f"  hashing alone, in memory: HMAC-SHA256 {hmac_rate:,.0f}/s, SHA-256 {sha_rate:,.0f}/s "
        f"(ratio {sha_rate / hmac_rate:.2f})"
    )
    connection.close()
    if args.database_url and args.database_url.startswith("postgres") and not args.keep:
        _drop_pg(args.database_url)
    if not args.keep:  # the SQLite file of a million events is half a gigabyte
        shutil.rmtree(os.environ["OMBUDS_DATA_DIR"], ignore_errors=True)


def _drop_pg(url: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


if __name__ == "__main__":
    main()
