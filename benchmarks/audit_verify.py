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
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONTEXT = "audit_event.data"  # as ombuds.audit.sealing seals the details
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
    """N chained events, inserted in pages by plain SQL; returns the seconds it took. Each row is
    what `record` writes: HMAC-SHA256 links under the audit key, keyed details' hashes,
    pseudonymous actor ids, the details sealed with the deployment's data key (or in clear), and
    the link text stored beside the hash."""
    from django.conf import settings
    from django.db import connection, transaction

    from ombuds.audit import keys, services
    from ombuds.audit.models import ChainHead, Event
    from ombuds.core import crypto

    key = keys.chain_key()
    pseudonyms = keys.pseudonym_key(key)
    refs = {label: services.actor_ref(label=label, pseudonyms=pseudonyms) for label in LABELS}
    sealed = settings.OMBUDS_ENCRYPT_FIELDS
    if sealed:
        key_id, data_key = crypto.keyring().current(None)
        context = CONTEXT.encode()
    columns = [
        "seq",
        "scheme",
        "occurred_at",
        "organization_id",
        "actor_id",
        "actor_label",
        "actor_ref",
        "action",
        "subject_type",
        "subject_id",
        "data",
        "data_hash",
        "purged_at",
        "prev_hash",
        "hash",
        "link",
    ]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(Event._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    start, prev = time.perf_counter(), services.GENESIS
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    page: list[tuple] = []
    for seq in range(1, n + 1):
        label = LABELS[seq % len(LABELS)]
        data = {"to": f"state-{seq % 7}", "n": seq, "reason": "a step of the procedure"}
        text = services.canonical(data)
        stored = (
            crypto.text_encode(crypto.seal(text.encode(), data_key, key_id, context))
            if sealed
            else text
        )
        event = Event(
            seq=seq,
            scheme=2,
            occurred_at=base + dt.timedelta(seconds=seq, microseconds=seq % 1000),
            actor_label=label,
            actor_ref=refs[label],
            action="case.transition",
            subject_type="case",
            subject_id=str(seq % 5000),
            data_hash=services.details_hash(data, key=key),
            prev_hash=prev,
        )
        event.link = services.link_of(event)
        event.hash = prev = services.event_hash(event, key=key)
        page.append(
            (
                seq,
                2,
                connection.ops.adapt_datetimefield_value(event.occurred_at),
                None,
                None,
                label,
                event.actor_ref,
                event.action,
                event.subject_type,
                event.subject_id,
                stored,
                event.data_hash,
                None,
                event.prev_hash,
                event.hash,
                event.link,
            )
        )
        if len(page) == batch or seq == n:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, page)
            page = []
    ChainHead.objects.update_or_create(
        key=1,
        defaults={"last_seq": n, "last_hash": prev, "count": n, "key_id": keys.key_id(key)},
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE audit_event")
    return time.perf_counter() - start


def plain_pass() -> tuple[int, float]:
    """The floor: the same rows read the same way (`services._rows`, raw keyset pages), and every
    byte verify hashes (the stored link text and the stored details) hashed with plain SHA-256."""
    from ombuds.audit import services

    start, count = time.perf_counter(), 0
    sha256 = hashlib.sha256
    for row in services._rows(10_000):
        sha256(row[15].encode()).hexdigest()
        sha256(row[10].encode()).hexdigest()
        count += 1
    return count, time.perf_counter() - start


def hashing_alone(sample: int = 200_000) -> tuple[float, float, float]:
    """In memory, on the stored link texts: HMAC-SHA256 one-shot, HMAC-SHA256 with its padded key
    hashed once (what verify does), and plain SHA-256; events per second."""
    from ombuds.audit import keys, services

    texts = []
    for row in services._rows(10_000):
        texts.append(row[15].encode())
        if len(texts) >= sample:
            break
    key = keys.chain_key()
    mac = services._Mac(key)
    rates = []
    for step in (
        lambda text: hmac.digest(key, text, "sha256").hex(),
        mac.hex,
        lambda text: hashlib.sha256(text).hexdigest(),
    ):
        start = time.perf_counter()
        for text in texts:
            step(text)
        rates.append(len(texts) / (time.perf_counter() - start))
    return rates[0], rates[1], rates[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="default: a fresh SQLite database")
    parser.add_argument("--keep", action="store_true", help="keep the database (and data folder)")
    parser.add_argument("--no-sealing", action="store_true", help="details in clear, to compare")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median kept)")
    args = parser.parse_args()
    _setup(args)
    from django.conf import settings
    from django.db import connection

    settings.OMBUDS_ENCRYPT_FIELDS = not args.no_sealing

    from ombuds.audit import services

    built = build(args.events)
    sealed = "in clear" if args.no_sealing else "sealed"
    print(f"{connection.vendor}: {args.events:,} events, details {sealed}, built in {built:.1f} s")
    # Subject and floor interleaved, `--rounds` times each, the median of each counts: neither
    # profits alone from warm caches (the database's pages, the OS's file cache).
    keyed_times, plain_times = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        verdict = services.verify()
        keyed_times.append(time.perf_counter() - start)
        assert verdict.ok and verdict.checked == args.events, verdict
        count, took = plain_pass()
        plain_times.append(took)
    keyed, plain = statistics.median(keyed_times), statistics.median(plain_times)
    hmac_rate, mac_rate, sha_rate = hashing_alone()
    rows = [
        ("verify (HMAC links over stored bytes, details opened)", args.events / keyed, keyed),
        ("floor: same rows read, SHA-256 of the same bytes", count / plain, plain),
    ]
    for name, rate, took in rows:
        print(f"  {name:<54} {rate:>10,.0f} events/s  ({took:.2f} s)")
    print(f"  ratio verify : floor = {plain / keyed:.2f} (throughput, median of {args.rounds})")
    print(
        f"  hashing alone, in memory, link texts: SHA-256 {sha_rate:,.0f}/s, HMAC-SHA256 "
        f"{mac_rate:,.0f}/s with the padded key hashed once ({mac_rate / sha_rate:.2f}), "
        f"{hmac_rate:,.0f}/s one-shot ({hmac_rate / sha_rate:.2f})"
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
