"""Each body's data keys, wrapped by the master key (`ombuds.core.crypto`): made when first needed,
unwrapped once per process, rotated by `ombuds keys rotate`.

Rotation is resumable: a run makes a new key for each body (and the deployment) only when no
rotation is under way (no retired key left), then re-seals every value and re-wraps every file key
still under a retired key, in batches, each a compare-and-swap that leaves a value changed meanwhile
alone (a save seals with the current key anyway). A retired key is deleted once nothing uses it and
it has been retired longer than any transaction runs (GRACE), so a save that read it just before the
rotation cannot write a value nobody can open.
"""

from __future__ import annotations

import dataclasses
import datetime
import secrets
from collections.abc import Callable, Iterator

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from ombuds.audit import keys as audit_keys
from ombuds.audit import sealing as audit_sealing
from ombuds.audit import services as audit
from ombuds.bodies.models import BodyKey, FileKey, Organization
from ombuds.core import crypto
from ombuds.core.encrypted import FILE_MAGIC, EncryptedMixin

GRACE = datetime.timedelta(minutes=10)
FILE_FOLDERS = ("cases", "evidence", "imports")


def _wrap_context(owner: int | None) -> bytes:
    return f"ombuds.body-key:{owner if owner is not None else 'deployment'}".encode()


def _file_context(name: str) -> bytes:
    return f"ombuds.file-key:{name}".encode()


class BodyKeyring:
    """The keyring `ombuds.core.crypto` calls (registered by BodiesConfig.ready)."""

    def __init__(self) -> None:
        self._keys: dict[int, tuple[bytes, bytes]] = {}  # id: (wrapped, key)
        self._slugs: dict[str, int | None] = {}

    def forget(self, key_id: int | None = None) -> None:
        """Unwrapped keys are kept per process; forget one (read again from its row) or all."""
        if key_id is not None:
            self._keys.pop(key_id, None)
            return
        self._keys.clear()
        self._slugs.clear()

    def remember(self, key_id: int, wrapped: bytes, key: bytes) -> None:
        """Keep a data key whose row was just re-wrapped (by a master key this process may lack)."""
        self._keys[key_id] = (wrapped, key)

    def _unwrapped(self, key_id: int, owner: int | None, wrapped: bytes) -> bytes:
        cached = self._keys.get(key_id)
        if cached is not None and cached[0] == wrapped:
            return cached[1]
        key, _master = crypto.unwrap_with_master(wrapped, _wrap_context(owner))
        self._keys[key_id] = (wrapped, key)
        return key

    def current(self, owner: int | None) -> tuple[int, bytes]:
        held = crypto.held_keys()
        if held is not None and owner in held.current:
            return held.current[owner]
        row = _current_row(owner)
        made = row is None
        if made:
            row = _key_create(owner)
        key_id, wrapped = row
        found = key_id, self._unwrapped(key_id, owner, bytes(wrapped))
        if held is not None:
            if made:
                held.made.add(key_id)
            elif key_id not in held.made:
                held.current[owner] = found
        return found

    def key(self, key_id: int) -> bytes:
        cached = self._keys.get(key_id)
        if cached is not None:
            return cached[1]
        row = BodyKey.objects.filter(pk=key_id).values_list("organization_id", "wrapped").first()
        if row is None:
            raise crypto.KeyUnavailable(f"data key {key_id} does not exist (deleted too early?)")
        return self._unwrapped(key_id, row[0], bytes(row[1]))

    def owner_of_file(self, name: str) -> int | None:
        parts = name.split("/")
        if len(parts) < 3 or parts[0] not in FILE_FOLDERS:
            return None
        if parts[1] not in self._slugs:
            self._slugs[parts[1]] = (
                Organization.objects.filter(slug=parts[1]).values_list("pk", flat=True).first()
            )
        return self._slugs[parts[1]]

    def file_key_keep(self, name: str, owner: int | None, key: bytes) -> None:
        key_id, body_key = self.current(owner)
        wrapped = crypto.wrap_key(key, body_key, _file_context(name))
        FileKey.objects.update_or_create(
            name=name, defaults={"body_key_id": key_id, "wrapped": wrapped}
        )

    def file_key(self, name: str) -> bytes | None:
        row = FileKey.objects.filter(name=name).values_list("body_key_id", "wrapped").first()
        if row is None:
            return None
        return crypto.unwrap_key(bytes(row[1]), self.key(row[0]), _file_context(name))

    def file_key_destroy(self, name: str) -> bool:
        return FileKey.objects.filter(name=name).delete()[0] > 0


KEYRING = BodyKeyring()


def master_key_mismatch() -> str | None:
    """Why the configured master key cannot open the data keys in the database, in one line; None
    when it opens them (or there are none yet). A process started with another deployment's key, or
    a mistyped one, would otherwise fail at its first sealed value. The previous keys of a rewrap
    under way count too: a data key any of them opens is served."""
    try:
        ring = crypto.master_keys()
    except crypto.KeyUnavailable as exc:  # a previous key's file that cannot be read
        return f"ombuds: {exc}"
    rows = BodyKey.objects.values_list("pk", "organization_id", "wrapped")
    for key_id, owner, wrapped in rows:
        try:
            crypto.unwrap_with_master(bytes(wrapped), _wrap_context(owner), ring)
        except crypto.KeyUnavailable:
            return (
                f"ombuds: the master key does not open data key {key_id} in the database: it is not"
                " the key this database was encrypted with (check OMBUDS_MASTER_KEY or"
                " OMBUDS_MASTER_KEY_FILE)"
            )
    return None


def master_key_pending() -> str | None:
    """One line saying how many data keys are still wrapped by a master key other than the
    configured one (a rewrap not finished); None when there are none."""
    current = crypto.master_fingerprint(crypto.master_key())
    pending = 0
    for owner, wrapped in BodyKey.objects.values_list("organization_id", "wrapped"):
        fingerprint = crypto.master_of(bytes(wrapped))
        if fingerprint is None:
            _key, fingerprint = crypto.unwrap_with_master(bytes(wrapped), _wrap_context(owner))
        pending += fingerprint != current
    if not pending:
        return None
    return (
        f"ombuds: {pending} data keys are still wrapped by the previous master key: run"
        " `ombuds keys rewrap`, then remove OMBUDS_MASTER_KEY_PREVIOUS_FILE"
    )


def _current_row(owner: int | None) -> tuple[int, bytes] | None:
    return (
        BodyKey.objects.filter(organization_id=owner, retired_at__isnull=True)
        .order_by("-pk")
        .values_list("pk", "wrapped")
        .first()
    )


def _key_create(owner: int | None) -> tuple[int, bytes]:
    with transaction.atomic():
        if owner is not None:  # one key made even when several saves need it at once
            Organization.objects.select_for_update().filter(pk=owner).first()
        row = _current_row(owner)
        if row is not None:
            return row
        wrapped = crypto.wrap_with_master(secrets.token_bytes(32), _wrap_context(owner))
        made = BodyKey.objects.create(organization_id=owner, wrapped=wrapped)
        return made.pk, wrapped


# -- which columns are sealed ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SealedColumn:
    """A column holding sealed values: its table, primary key and column, and how its text is read
    and written (a field's own format, or another app's, e.g. the second-factor seeds)."""

    table: str
    pk: str
    column: str
    context: str
    decode: Callable[[str], bytes | None] = crypto.text_decode
    encode: Callable[[bytes], str] = crypto.text_encode


_extra_columns: list[SealedColumn] = []


def register_sealed_column(column: SealedColumn) -> None:
    """Apps above this one add columns they seal themselves (accounts: TOTP seeds)."""
    if column not in _extra_columns:
        _extra_columns.append(column)


def sealed_columns() -> Iterator[SealedColumn]:
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedMixin):
                yield SealedColumn(
                    model._meta.db_table, model._meta.pk.column, field.column, field.context()
                )
    yield from _extra_columns


class AuditSealer:
    """Seals the audit log's event details with the data key of the event's body
    (`ombuds.audit.sealing`, below this app, calls it)."""

    def seal(self, text: str, owner: int | None, context: str) -> str:
        if not crypto.encryption_enabled():
            return text
        return crypto.seal_text(text, owner, context)

    def open(self, text: str, context: str) -> str:
        return crypto.open_text(text, context)

    def opener(self, context: str) -> Callable[[str], str]:
        return crypto.text_opener(context)


audit_sealing.register_sealer(AuditSealer())
# A rotation re-seals the events' details too (their hash is of the plaintext: it still holds).
register_sealed_column(SealedColumn("audit_event", "seq", "data", audit_sealing.CONTEXT))


# -- rotation -------------------------------------------------------------------------------------


@dataclasses.dataclass
class Rotation:
    new_keys: int = 0
    files_encrypted: int = 0
    values_resealed: int = 0
    file_keys_rewrapped: int = 0
    keys_deleted: int = 0
    keys_kept: list[int] = dataclasses.field(default_factory=list)


def _owners() -> list[int | None]:
    return [None, *Organization.objects.order_by("pk").values_list("pk", flat=True)]


def keys_start_rotation(*, actor_label: str = "") -> int:
    """A new current key for every body (and the deployment) unless a rotation is under way."""
    if BodyKey.objects.filter(retired_at__isnull=False).exists():
        return 0
    made = 0
    now = timezone.now()
    for owner in _owners():
        with transaction.atomic():
            old = BodyKey.objects.select_for_update().filter(
                organization_id=owner, retired_at__isnull=True
            )
            if not old.exists():
                continue  # a body with nothing sealed yet gets its key when it first needs one
            old_ids = list(old.values_list("pk", flat=True))
            new = _key_create_new(owner)
            BodyKey.objects.filter(pk__in=old_ids).update(retired_at=now)
            audit.record(
                action="body.key_rotated",
                subject_type="body_key",
                subject_id=new.pk,
                data={"retired": old_ids},
                organization=Organization(pk=owner) if owner else None,
                actor_label=actor_label,
            )
            made += 1
    return made


def _key_create_new(owner: int | None) -> BodyKey:
    wrapped = crypto.wrap_with_master(secrets.token_bytes(32), _wrap_context(owner))
    return BodyKey.objects.create(organization_id=owner, wrapped=wrapped)


def _retired() -> dict[int, int | None]:
    return dict(
        BodyKey.objects.filter(retired_at__isnull=False).values_list("pk", "organization_id")
    )


def _reseal_column(col: SealedColumn, retired: dict[int, int | None], batch: int) -> int:
    qn = connection.ops.quote_name
    select = (
        f"SELECT {qn(col.pk)}, {qn(col.column)} FROM {qn(col.table)}"
        f" WHERE {qn(col.pk)} > %s ORDER BY {qn(col.pk)} LIMIT %s"
    )
    update = (
        f"UPDATE {qn(col.table)} SET {qn(col.column)} = %s"
        f" WHERE {qn(col.pk)} = %s AND {qn(col.column)} = %s"
    )
    done, last = 0, 0
    context = col.context.encode("utf-8")
    while True:
        with connection.cursor() as cursor:
            cursor.execute(select, [last, batch])
            rows = cursor.fetchall()
        if not rows:
            return done
        with transaction.atomic(), connection.cursor() as cursor:
            for pk, text in rows:
                blob = col.decode(text) if text else None
                if blob is None or crypto.sealed_key_id(blob) not in retired:
                    continue
                plain = crypto.unseal(blob, KEYRING.key(crypto.sealed_key_id(blob)), context)
                key_id, key = KEYRING.current(retired[crypto.sealed_key_id(blob)])
                cursor.execute(
                    update, [col.encode(crypto.seal(plain, key, key_id, context)), pk, text]
                )
                done += cursor.rowcount
        last = rows[-1][0]


def _rewrap_file_keys(retired: dict[int, int | None], batch: int) -> int:
    done = 0
    while True:
        rows = list(FileKey.objects.filter(body_key_id__in=list(retired)).order_by("pk")[:batch])
        if not rows:
            return done
        with transaction.atomic():
            for row in rows:
                key = KEYRING.file_key(row.name)
                KEYRING.file_key_keep(row.name, retired[row.body_key_id], key)
                done += 1


def _delete_unused(
    retired: dict[int, int | None], grace: datetime.timedelta, actor_label: str
) -> tuple[int, list]:
    in_use: set[int] = set(
        FileKey.objects.filter(body_key_id__in=list(retired)).values_list("body_key_id", flat=True)
    )
    for _col, key_id in _sealed_key_ids():
        if key_id in retired:
            in_use.add(key_id)
    cutoff = timezone.now() - grace
    deletable = BodyKey.objects.filter(pk__in=set(retired) - in_use, retired_at__lte=cutoff)
    deleted = dict(deletable.values_list("pk", "organization_id"))
    with transaction.atomic():
        for key_id, owner in deleted.items():
            audit.record(
                action="body.key_deleted",
                subject_type="body_key",
                subject_id=key_id,
                data={"reason": "retired and no longer used"},
                organization=Organization(pk=owner) if owner else None,
                actor_label=actor_label,
            )
        deletable.delete()
    deleted_ids = set(deleted)
    return len(deleted_ids), sorted(set(retired) - deleted_ids)


def _sealed_key_ids() -> Iterator[tuple[SealedColumn, int]]:
    qn = connection.ops.quote_name
    for col in sealed_columns():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {qn(col.column)} FROM {qn(col.table)}")
            for (text,) in cursor.fetchall():
                blob = col.decode(text) if text else None
                if blob is not None:
                    yield col, crypto.sealed_key_id(blob)


def _stored_names(storage, prefix: str = "") -> Iterator[str]:
    dirs, names = storage.listdir(prefix)
    for name in sorted(names):
        if not name.endswith(".encrypting"):  # a replacement interrupted (ombuds.core.encrypted)
            yield f"{prefix}{name}"
    for sub in sorted(dirs):
        yield from _stored_names(storage, f"{prefix}{sub}/")


def files_encrypt_existing() -> int:
    """Encrypt, under their own names, the stored files written before encryption."""
    from django.core.files.storage import default_storage

    if not hasattr(default_storage, "encrypt_in_place"):
        return 0  # a storage that does not encrypt (configured by hand)
    try:
        names = list(_stored_names(default_storage))
    except FileNotFoundError:
        return 0  # nothing stored yet
    keyed = set(FileKey.objects.values_list("name", flat=True))
    done = 0
    for name in names:
        if name in keyed:  # encrypted, unless an earlier run stopped between key and file
            with default_storage.open_raw(name) as raw:
                if raw.read(len(FILE_MAGIC)) == FILE_MAGIC:
                    continue
        done += default_storage.encrypt_in_place(name)
    return done


def keys_rotate(
    *, batch: int = 500, grace: datetime.timedelta = GRACE, actor_label: str = ""
) -> Rotation:
    """Rotate every body's data key, or resume a rotation left unfinished; each new and deleted key
    on the audit log."""
    report = Rotation(new_keys=keys_start_rotation(actor_label=actor_label))
    report.files_encrypted = files_encrypt_existing()
    retired = _retired()
    if retired:
        for col in sealed_columns():
            report.values_resealed += _reseal_column(col, retired, batch)
        report.file_keys_rewrapped = _rewrap_file_keys(retired, batch)
        report.keys_deleted, report.keys_kept = _delete_unused(retired, grace, actor_label)
    return report


def keys_status() -> list[dict]:
    """Every data key: whose, current or retired, and how many values and files it seals."""
    values: dict[int, int] = {}
    for _col, key_id in _sealed_key_ids():
        values[key_id] = values.get(key_id, 0) + 1
    files: dict[int, int] = {}
    for key_id in FileKey.objects.values_list("body_key_id", flat=True):
        files[key_id] = files.get(key_id, 0) + 1
    return [
        {
            "id": key.pk,
            "body": key.organization.slug if key.organization else "(deployment)",
            "created_at": key.created_at,
            "retired_at": key.retired_at,
            "values": values.get(key.pk, 0),
            "files": files.get(key.pk, 0),
        }
        for key in BodyKey.objects.select_related("organization").order_by("pk")
    ]


# -- replacing the master key ---------------------------------------------------------------------


@dataclasses.dataclass
class Rewrap:
    master: str  # the fingerprint of the master key every data key is now wrapped by
    rewrapped: int = 0
    already: int = 0
    audit_key_rotated: bool = False


def keys_rewrap(*, new_key_text: str | None = None, actor_label: str = "") -> Rewrap:
    """Re-wrap every data key under a new master key (`new_key_text`, else the configured one), one
    row per transaction: safe to interrupt and run again, a row already under the new key is
    skipped. A row is opened with whichever master key this process holds wraps it (the configured
    one, OMBUDS_MASTER_KEY_PREVIOUS_FILE, or the new one). The data keys themselves do not change:
    no value or file is touched. When the audit chain's key is derived from the master key, the
    chain is rotated to the key derived from the new one (`ombuds.audit.services.chain_key_rotate`),
    so nothing keeps depending on the old master key. The run is on the audit log."""
    text = new_key_text if new_key_text is not None else crypto.configured_master_key_text()
    new = crypto.decode_master_key(text)
    target = crypto.master_fingerprint(new)
    ring = {**crypto.master_keys(), target: new}
    report = Rewrap(master=target)
    for key_id in BodyKey.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            row = BodyKey.objects.select_for_update().filter(pk=key_id).first()
            if row is None:
                continue  # deleted by a rotation meanwhile
            wrapped, context = bytes(row.wrapped), _wrap_context(row.organization_id)
            data_key, _master = crypto.unwrap_with_master(wrapped, context, ring)
            if crypto.master_of(wrapped) == target:
                report.already += 1
            else:
                row.wrapped = wrapped = crypto.wrap_with_master(data_key, context, new)
                row.save(update_fields=["wrapped"])
                report.rewrapped += 1
        # This process goes on sealing (its audit events) before it is given the new key.
        KEYRING.remember(key_id, wrapped, data_key)
    if report.rewrapped:
        audit.record(
            action="body.master_key_replaced",
            subject_type="master_key",
            subject_id=target,
            data={"rewrapped": report.rewrapped},
            actor_label=actor_label,
        )
    # Last: the events after it are linked with a key this process may not hold yet.
    if audit_keys.key_source() == "master key":
        report.audit_key_rotated = audit.chain_key_rotate(
            new_key=audit_keys.chain_key_from(text, source="master key"),
            actor_label=actor_label,
        )
    return report
