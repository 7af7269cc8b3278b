"""The credentials import by sets: the file's rows go, as read, into a staging table, and what the
rows name is matched there in a few statements whatever the file's length.

The rules and their messages are `LifecycleImporter`'s, called from here, not copies of them
(`staged_cells` restates the cell rules in SQL only to let through the rows that plainly pass):

1. The rows go as read into a temporary table (PostgreSQL: one `COPY` of each cell's text); one
   statement notes the lines of the rows whose cells do not plainly pass (`staged_cells`: its test
   is narrower than Python's, never wider), and those rows are read and checked in Python as
   before (`read_one`), a batch at a time, into the staging table. The rows that plainly pass stay
   in the raw table, and phase 2 reads them from there, converted: no second copy of them is
   written. What a row would break if it were new (its number's form, its status against its
   dates) is judged then too, since it needs nothing from the register. Rows whose program is
   known stay; nothing is held per row but what the report says. On SQLite every row is checked
   in Python and inserted in batches.
2. One statement joins the staged rows (on PostgreSQL, and the plain rows of the raw table) to
   the register: each row's holder and record, into a second temporary table; a second one finds
   the first line of each external id and number that is on more than one line (hash aggregates,
   no sort of the rows), into a third.
3. Only the rows with something to say come back to Python, in line order, through a server-side
   cursor: a bad row, a duplicate, an unknown holder, a number taken, or a record that exists (its
   change is planned by `plan_update`, so status changes still go through the lifecycle services).
   A good new row never leaves the database.
4. One live credential per holder and program: two statements over the rows kept.
5. With no error, the status changes and updates are written as before, then the new credentials
   and their first status events by `INSERT … SELECT` in file order.

On SQLite the same statements run; only the loading differs (as above).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from django.db import connection
from django.utils import timezone

from ombuds.register.csv import staged_cells
from ombuds.register.csv.cells import Cells, check_new_number
from ombuds.register.csv.importers import Plan
from ombuds.register.csv.lifecycle_columns import Parsed
from ombuds.register.csv.lifecycle_import import IMPORT_REASON, LifecycleImporter
from ombuds.register.csv.lookup import OMBUDS_ID_PREFIX, reference, unknown_reference
from ombuds.register.csv.reading import Row, RowError, as_row
from ombuds.register.models import Credential, Person, StatusEvent

STAGE_BATCH = 2000  # rows per insert into the staging table (SQLite) and per fetch back
STAGED = "register_import_staged"
RESOLVED = "register_import_resolved"
BAD = "register_import_bad"
RAW = "register_import_raw"
OTHERS = "register_import_others"  # the lines of `RAW` checked in Python
REPEATED = "register_import_repeated"  # external ids and numbers on more than one line

_STAGED_COLUMNS = (
    "line",
    "read_ok",
    "ref",
    "ref_pk",
    "number",
    "program_id",
    "holder",
    "holder_pk",
    "status",
    "issued_on",
    "expires_on",
    "suspended_until",
    "conditions",
    "decision_ref",
    "number_error",
    "plan_errors",
)


def _pk_form(ref: str) -> int | None:
    """The id in a reference of the form "ombuds:N" (`lookup.by_reference` reads it the same way)."""
    if ref.startswith(OMBUDS_ID_PREFIX) and ref[len(OMBUDS_ID_PREFIX) :].isdigit():
        return int(ref[len(OMBUDS_ID_PREFIX) :])
    return None


def _analyze(cursor: Any, table: str) -> None:
    """ANALYZE one of the temporary tables (PostgreSQL). Their statistics serve this import's few
    plans: a sample of 3,000 rows (not 30,000) says enough of their sizes and of how many rows are
    bad. The setting is put back at once, so that no other ANALYZE of the transaction uses it."""
    cursor.execute("SELECT current_setting('default_statistics_target')")
    (before,) = cursor.fetchone()
    cursor.execute("SELECT set_config('default_statistics_target', '10', true)")
    cursor.execute(f"ANALYZE {table}")
    cursor.execute("SELECT set_config('default_statistics_target', %s, true)", [before])


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


class StagedCredentialImporter(LifecycleImporter):
    """Credentials checked and written by sets; see the module's docstring."""

    def __init__(self, organization: Any, **options: Any) -> None:
        super().__init__(organization, kind="credentials", **options)
        self.postgres = connection.vendor == "postgresql"
        self.rows = 0
        self.created = 0
        self.header: set[str] = set()
        self.header_order: list[str] = []

    # Phase 1: the rows, read and checked, into the staging table.
    def stage(self, rows: Iterator[tuple[int, list[str]]], errors: list[RowError]) -> None:
        """`rows`: (line, values in the header's order), as `reading.raw_rows` yields them."""
        kinds = self.columns.kinds()
        self.programs = {k.pk: k for k in kinds.values()}
        self.columns.type_codes = {k.pk: k.code for k in kinds.values()}
        self.cycle_months = {k.pk: getattr(k, "cycle_months", None) for k in kinds.values()}
        self.bad_lines: list[int] = []
        with connection.cursor() as cursor:
            for table in (STAGED, RESOLVED, BAD, RAW, OTHERS, REPEATED):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            drop = " ON COMMIT DROP" if self.postgres else ""
            cursor.execute(
                f"CREATE TEMPORARY TABLE {STAGED} (line integer, read_ok boolean, "
                "ref varchar(200), ref_pk bigint, number varchar(200), program_id bigint, "
                "holder varchar(200), holder_pk bigint, status varchar(40), issued_on date, "
                "expires_on date, suspended_until date, conditions text, decision_ref text, "
                f"number_error text, plan_errors text){drop}"
            )
            cursor.execute(f"CREATE TEMPORARY TABLE {BAD} (line integer PRIMARY KEY){drop}")
            if self.postgres:
                # For this transaction only: the hash aggregates of a million rows (first lines,
                # one live credential per holder) and the sorts of the inserts stay in memory.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                self._stage_raw(cursor, rows, errors)
            else:
                self._insert_staged(cursor, self._staged(self._rows(rows), errors))

    def _rows(self, rows: Iterator[tuple[int, list[str]]]) -> Iterator[Row]:
        for line, values in rows:
            self.rows += 1
            self.tick("checking", self.rows)
            yield as_row(line, values, self.header_order)

    def _insert_staged(self, cursor: Any, records: Iterator[tuple]) -> None:
        sql = (
            f"INSERT INTO {STAGED} ({', '.join(_STAGED_COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(_STAGED_COLUMNS))})"
        )
        batch: list[tuple] = []
        for record in records:
            batch.append(record)
            if len(batch) >= STAGE_BATCH:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)

    def _stage_raw(
        self, cursor: Any, rows: Iterator[tuple[int, list[str]]], errors: list[RowError]
    ) -> None:
        """PostgreSQL: the cells as read by one `COPY`, the rows that plainly pass checked and
        converted in SQL (`staged_cells`), the others one by one in Python."""
        header = self.header_order
        cells = ", ".join(f"c_{name} text" for name in header)
        cursor.execute(f"CREATE TEMPORARY TABLE {RAW} (line integer, {cells}) ON COMMIT DROP")
        names = ", ".join(f"c_{name}" for name in header)
        progress = self.progress is not None
        with cursor.cursor.copy(f"COPY {RAW} (line, {names}) FROM STDIN") as copy:
            write = copy.write_row
            for line, values in rows:
                self.rows += 1
                if progress:
                    self.tick("checking", self.rows)
                write((line, *values))
        _analyze(cursor, RAW)
        self.cell_params = staged_cells.parameters(
            programs=[(k.code, k.pk) for k in self.programs.values()],
            statuses=self.subject.statuses,
            today=self.today,
        )
        # The rows that plainly pass stay in `RAW`: `resolve` reads them from there, converted.
        cursor.execute(f"CREATE TEMPORARY TABLE {OTHERS} (line integer PRIMARY KEY) ON COMMIT DROP")
        cursor.execute(
            staged_cells.other_lines_sql(raw=RAW, others=OTHERS, header=header), self.cell_params
        )
        rest = (
            f"SELECT r.line, {names} FROM {RAW} r JOIN {OTHERS} o ON o.line = r.line "
            "ORDER BY r.line"
        )
        with connection.chunked_cursor() as others:
            others.execute(rest)
            while batch := others.fetchmany(STAGE_BATCH):
                rows_ = (as_row(record[0], list(record[1:]), header) for record in batch)
                self._insert_staged(cursor, self._staged(rows_, errors))

    def _staged(self, rows: Iterator[Row], errors: list[RowError]) -> Iterator[tuple]:
        kinds = {k.code: k for k in self.programs.values()}
        iso = not self.postgres  # SQLite stores dates as ISO text
        for row in rows:
            cells = Cells(row, errors)
            parsed = self.read_one(cells, kinds)
            if parsed.kind is None:
                continue  # no program: the row cannot be matched to anything (reported already)
            number_error = plan_errors = None
            if cells.ok:
                number_error, plan_errors = self._if_new(row, parsed)
            else:
                self.bad_lines.append(row.line)
            dates = [parsed.values.get(name) for name in self.date_fields]
            if iso:
                dates = [d.isoformat() if d is not None else None for d in dates]
            yield (
                row.line,
                cells.ok,
                parsed.ref,
                _pk_form(parsed.ref),
                parsed.number,
                parsed.kind.pk,
                parsed.holders["holder"],
                _pk_form(parsed.holders["holder"]),
                parsed.status,
                *dates,
                parsed.values.get("conditions"),
                parsed.decision_ref,
                number_error,
                plan_errors,
            )

    def _if_new(self, row: Row, parsed: Parsed) -> tuple[str | None, str | None]:
        """What a row that reads well would be told if it makes a new credential: its number's
        form (a match error), then, only without one, its status and dates (plan errors)."""
        found: list[RowError] = []
        check_new_number(Cells(row, found), parsed.number, self.noun)
        if found:
            return found[0].reason, None
        scratch = Cells(row, found)
        values = {**parsed.values, "holder_id": None}
        final = dict.fromkeys(self.date_fields) | values
        self.check_final(scratch, parsed.status, final, values)
        self.check_new(scratch, parsed.status, final)
        if not found:
            return None, None
        return None, json.dumps([[e.column, e.reason] for e in found])

    # Phase 2: what the rows name, in one statement.
    def resolve(self) -> None:
        person, credential = Person._meta.db_table, Credential._meta.db_table
        columns = ", ".join(_STAGED_COLUMNS)
        params: dict[str, Any] = {"org": self.organization.pk}
        if self.postgres:  # the rows that plainly pass, converted as read from `RAW`
            source = (
                f"({staged_cells.plain_rows_sql(raw=RAW, others=OTHERS, header=self.header_order)} "
                f"UNION ALL SELECT {columns} FROM {STAGED})"
            )
            params.update(self.cell_params)
            drop = " ON COMMIT DROP"
        else:
            source, drop = STAGED, ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                CREATE TEMPORARY TABLE {RESOLVED}{drop} AS
                SELECT s.*, COALESCE(hx.id, hp.id) AS holder_id, COALESCE(cx.id, cp.id) AS record_id
                FROM {source} s
                LEFT JOIN {person} hx ON s.holder_pk IS NULL AND hx.organization_id = %(org)s
                  AND hx.external_id = s.holder AND NOT (hx.external_id = '')
                LEFT JOIN {person} hp ON hp.id = s.holder_pk AND hp.organization_id = %(org)s
                  AND hp.external_id = ''
                LEFT JOIN {credential} cx ON s.ref_pk IS NULL AND cx.program_id = s.program_id
                  AND cx.external_id = s.ref AND NOT (cx.external_id = '')
                LEFT JOIN {credential} cp ON cp.id = s.ref_pk AND cp.program_id = s.program_id
                  AND cp.external_id = ''
                """,
                params,
            )
            cursor.execute(f"CREATE INDEX {RESOLVED}_record ON {RESOLVED} (record_id)")
            if self.postgres:
                _analyze(cursor, RESOLVED)
            # The first line of each external id and number on more than one line: hash
            # aggregates of the matched rows (no sort of them), nothing kept of the other values.
            cursor.execute(
                f"""
                CREATE TEMPORARY TABLE {REPEATED}{drop} AS
                SELECT 'ref' AS kind, program_id, ref AS value, MIN(line) AS first_line
                FROM {RESOLVED} WHERE ref <> '' GROUP BY program_id, ref HAVING COUNT(*) > 1
                UNION ALL
                SELECT 'number', program_id, number, MIN(line)
                FROM {RESOLVED} WHERE number <> '' GROUP BY program_id, number HAVING COUNT(*) > 1
                """
            )

    # Phase 3: the rows with something to say, one at a time.
    def judge(self, errors: list[RowError]) -> Plan:
        credential, person = Credential._meta.db_table, Person._meta.db_table
        plan = Plan()
        sql = f"""
            SELECT r.line, r.read_ok, r.ref, r.number, r.program_id, r.holder, r.holder_id,
              r.status, r.issued_on, r.expires_on, r.suspended_until, r.conditions,
              r.decision_ref, r.number_error, r.plan_errors,
              CASE WHEN r.ref <> '' THEN COALESCE(fr.first_line, r.line) END,
              CASE WHEN r.number <> '' THEN COALESCE(fn.first_line, r.line) END,
              c.id, c.number, c.status, c.holder_id, ch.external_id, c.conditions, c.issued_on,
              c.expires_on, c.suspended_until, c.external_id, t.id, t.external_id
            FROM {RESOLVED} r
            LEFT JOIN {REPEATED} fr ON fr.kind = 'ref' AND fr.program_id = r.program_id
              AND fr.value = r.ref
            LEFT JOIN {REPEATED} fn ON fn.kind = 'number' AND fn.program_id = r.program_id
              AND fn.value = r.number
            LEFT JOIN {credential} c ON c.id = r.record_id
            LEFT JOIN {person} ch ON ch.id = c.holder_id
            LEFT JOIN {credential} t ON r.record_id IS NULL AND r.number <> ''
              AND t.program_id = r.program_id AND t.number = r.number
            WHERE NOT r.read_ok OR fr.first_line <> r.line OR fn.first_line <> r.line
              OR (r.holder <> '' AND r.holder_id IS NULL) OR r.record_id IS NOT NULL
              OR (r.record_id IS NULL AND substr(r.ref, 1, {len(OMBUDS_ID_PREFIX)}) = %s)
              OR t.id IS NOT NULL OR r.number_error IS NOT NULL OR r.plan_errors IS NOT NULL
            ORDER BY r.line
        """
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, [OMBUDS_ID_PREFIX])
            while batch := cursor.fetchmany(STAGE_BATCH):
                for record in batch:
                    if not self._judge_one(record, errors, plan):
                        self.bad_lines.append(record[0])
        with connection.cursor() as cursor:
            for start in range(0, len(self.bad_lines), STAGE_BATCH):
                chunk = sorted(set(self.bad_lines[start : start + STAGE_BATCH]))
                cursor.executemany(
                    f"INSERT INTO {BAD} (line) VALUES (%s) ON CONFLICT DO NOTHING",
                    [(line,) for line in chunk],
                )
            cursor.execute(
                f"SELECT count(*) FROM {RESOLVED} WHERE record_id IS NULL AND read_ok "
                f"AND NOT EXISTS (SELECT 1 FROM {BAD} b WHERE b.line = {RESOLVED}.line)"
            )
            self.created = cursor.fetchone()[0]
        return plan

    def _judge_one(self, record: tuple, errors: list[RowError], plan: Plan) -> bool:
        """`match` and `plan` for one row, on what phase 2 found: True when the row is kept."""
        (line, read_ok, ref, number, program_id, holder, holder_id, status) = record[:8]
        issued_on, expires_on, suspended_until, conditions, decision_ref = record[8:13]
        number_error, plan_errors, first_ref, first_number = record[13:17]
        cells = Cells(Row(line, {}), errors)
        cells.ok = bool(read_ok)
        program = self.programs[program_id]
        values: dict[str, Any] = {}
        for name, value in zip(
            self.date_fields, (issued_on, expires_on, suspended_until), strict=True
        ):
            if name in self.header:
                values[name] = _date(value)
        if "conditions" in self.header:
            values["conditions"] = conditions
        row = Parsed(cells, ref, number, program, {"holder": holder}, status, values, decision_ref)
        if first_ref is not None and first_ref != line:
            cells.error("external_id", f"{ref!r} is already on line {first_ref}")
        if first_number is not None and first_number != line:
            cells.error("number", f"{number!r} is already on line {first_number}")
        _model, what, hint = self.columns.holder_columns["holder"]
        row.found["holder"] = SimpleNamespace(pk=holder_id) if holder_id is not None else None
        if holder and holder_id is None:
            cells.error("holder", unknown_reference(what, holder, self.organization, hint))
        if record[17] is not None:
            row.obj = SimpleNamespace(
                pk=record[17],
                program_id=program_id,
                number=record[18],
                status=record[19],
                holder_id=record[20],
                holder__external_id=record[21],
                conditions=record[22],
                issued_on=_date(record[23]),
                expires_on=_date(record[24]),
                suspended_until=_date(record[25]),
                external_id=record[26],
            )
        obj = row.obj
        if obj is None and ref.startswith(OMBUDS_ID_PREFIX):
            cells.error("external_id", unknown_reference(self.noun, ref, self.organization, ""))
        if obj is not None:
            if number and number != obj.number:
                cells.error(
                    "number",
                    f"the number of an existing {self.noun} cannot change: it is {obj.number}",
                )
            self.columns.check_existing(row, obj)
        elif number and record[27] is not None:
            taken = SimpleNamespace(pk=record[27], external_id=record[28])
            cells.error(
                "number",
                f"{number} is already the number of another {self.columns.label(row)}"
                f"{self.noun} (external id {reference(taken)})",
            )
        elif number_error is not None:
            cells.error("number", number_error)
        if not cells.ok:
            return False
        if obj is None:
            for column, reason in json.loads(plan_errors or "[]"):
                cells.error(column, reason)
            return cells.ok
        values.update(self.columns.record_values(row))
        change = self.plan_update(cells, obj, status, values, decision_ref)
        if not cells.ok:
            return False
        if change is None:
            plan.unchanged += 1
        else:
            plan.changes.append(change)
        return True

    # Phase 4: one live credential per holder and program, in the file and in the register; the
    # groups are hash aggregates, and only the rows in breach come back.
    def one_live(self, errors: list[RowError]) -> None:
        live = sorted(frozenset(self.subject.statuses) - self.subject.ended)
        marks = ", ".join(["%s"] * len(live))
        kept = (
            f"r.read_ok AND r.status IN ({marks}) "
            f"AND NOT EXISTS (SELECT 1 FROM {BAD} b WHERE b.line = r.line)"
        )
        credential = Credential._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT r.line, r.program_id, f.number, g.first_line
                FROM (SELECT r.program_id, r.holder_id, MIN(r.line) AS first_line
                      FROM {RESOLVED} r WHERE {kept}
                      GROUP BY r.program_id, r.holder_id HAVING COUNT(*) > 1) g
                JOIN {RESOLVED} r ON r.program_id = g.program_id AND r.holder_id = g.holder_id
                JOIN {RESOLVED} f ON f.line = g.first_line
                WHERE {kept} AND r.line <> g.first_line
                ORDER BY r.line
                """,
                [*live, *live],
            )
            for line, program_id, first_number, first_line in cursor.fetchall():
                errors.append(
                    RowError(
                        line,
                        "holder",
                        f"this person would hold two live {self.programs[program_id]} credentials: "
                        f"{first_number} on line {first_line} is live too",
                    )
                )
            cursor.execute(
                f"""
                SELECT g.first_line, g.program_id, c.number
                FROM (SELECT r.program_id, r.holder_id, MIN(r.line) AS first_line
                      FROM {RESOLVED} r WHERE {kept} GROUP BY r.program_id, r.holder_id) g
                JOIN {credential} c ON c.program_id = g.program_id AND c.holder_id = g.holder_id
                WHERE c.status IN ({marks})
                  AND NOT EXISTS (SELECT 1 FROM {RESOLVED} n WHERE n.record_id = c.id)
                ORDER BY g.first_line, c.id
                """,
                [*live, *live],
            )
            reported: set[int] = set()
            for line, program_id, other in cursor.fetchall():
                if line in reported:
                    continue
                reported.add(line)
                errors.append(
                    RowError(
                        line,
                        "holder",
                        f"this person already holds a live {self.programs[program_id]} "
                        f"credential ({other}) that this file does not name",
                    )
                )

    def check_staged(self, rows: Iterator[tuple[int, list[str]]], errors: list[RowError]) -> Plan:
        self.stage(rows, errors)
        self.resolve()
        plan = self.judge(errors)
        self.one_live(errors)
        return plan

    # Phase 5: writing; the changes first, as `Importer.write` does, then the new credentials.
    def write_staged(self, plan: Plan) -> None:
        self.write(plan)
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            self.insert_credentials(cursor, stamp)
            self.insert_events(cursor, stamp)
        total = len(plan.changes) + self.created
        if self.created:
            self.tick("writing", total, total)

    def insert_credentials(self, cursor: Any, stamp: Any) -> None:
        cursor.execute(
            f"""
            INSERT INTO {Credential._meta.db_table} (created_at, updated_at, created_by_id,
              program_id, holder_id, number, external_id, status, issued_on, expires_on,
              suspended_until, conditions)
            SELECT %s, %s, NULL, program_id, holder_id, number, ref, status, issued_on,
              expires_on, suspended_until, COALESCE(conditions, '')
            FROM {RESOLVED} WHERE record_id IS NULL ORDER BY line
            """,
            [stamp, stamp],
        )

    def insert_events(self, cursor: Any, stamp: Any) -> None:
        """Each new credential's first status event ("Imported"), with the row's decision."""
        cursor.execute(
            f"""
            INSERT INTO {StatusEvent._meta.db_table} (credential_id, membership_id, from_status,
              to_status, effective_date, reason, decision_ref, automatic, actor_id, recorded_at)
            SELECT c.id, NULL, '', r.status, %s, %s, r.decision_ref, %s, %s, %s
            FROM {RESOLVED} r JOIN {Credential._meta.db_table} c
              ON c.program_id = r.program_id AND c.number = r.number
            WHERE r.record_id IS NULL ORDER BY r.line
            """,
            [
                connection.ops.adapt_datefield_value(self.today),
                IMPORT_REASON,
                False,
                getattr(self.acting_user, "pk", None),
                stamp,
            ],
        )

    def drop(self) -> None:
        """SQLite keeps temporary tables until the connection closes: drop them."""
        if not self.postgres:
            with connection.cursor() as cursor:
                for table in (STAGED, RESOLVED, BAD, RAW, OTHERS, REPEATED):
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")
