"""Encrypted model fields and an encrypting file storage (keys: `ombuds.core.crypto`).

A field's value is sealed when the row is saved and opened when it is read, so services and views
work with plaintext and the database holds only ciphertext: with the data key of the row's body on
save(), with the deployment's own key where no row is at hand (`update()`, raw inserts). An empty
value stays empty (a purge empties fields with `update()`). Values are bound to their table and column; they cannot be searched
or ordered in the database (lookups other than `isnull` and `exact` are refused), so search and the
inbox work on what is not secret (references, states, dates, provisions).

Stored files each get their own random key, wrapped by the body's data key and kept in the database
(`ombuds.bodies.models.FileKey`); the disk or the object store holds only ciphertext, in chunks of
64 KiB, each sealed with its index and whether it is the last (a truncated file does not decrypt).
`crypto.destroy_file_key(name)` forgets a file's key: crypto-shredding. Deleting a file through the
storage does it too.
"""

from __future__ import annotations

import io
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import FieldError
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models.lookups import Exact

from ombuds.core import crypto

# -- fields ---------------------------------------------------------------------------------------


class EncryptedMixin:
    """Seals the value in `pre_save` with the data key of the body found through `key_owner` (a
    dotted attribute path from the row, e.g. "organization_id" or "case.organization_id"; None for
    the deployment's own key)."""

    def __init__(self, *args, key_owner: str | None = None, **kwargs):
        self.key_owner = key_owner
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.key_owner:
            kwargs["key_owner"] = self.key_owner
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "TextField"  # ciphertext is longer than the plaintext's max_length

    def context(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def owner(self, instance) -> int | None:
        value = instance
        for part in (self.key_owner or "").split(".") if self.key_owner else ():
            value = getattr(value, part)
            if value is None:
                return None
        return None if value is instance else value

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)
        if not value or not crypto.encryption_enabled():
            return value
        return crypto.seal_text(str(value), self.owner(model_instance), self.context())

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return crypto.open_text(value, self.context())

    def get_db_prep_save(self, value, connection):
        # A value that did not pass through pre_save (update(), bulk_update(), raw inserts as
        # loaddata makes) has no row to find its body from: sealed with the deployment's own key,
        # never written in clear.
        if value and not str(value).startswith(crypto.TEXT_PREFIX) and crypto.encryption_enabled():
            value = crypto.seal_text(str(value), None, self.context())
        return super().get_db_prep_save(value, connection)

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return EmptyOnlyExact
        if lookup_name != "isnull":
            return None  # a FieldError: the database holds ciphertext, nothing to compare with
        return super().get_lookup(lookup_name)


class EmptyOnlyExact(Exact):
    """`field=""` finds the empty values; any other value is refused rather than compared with
    ciphertext (which would find nothing, silently)."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None) and not hasattr(self.rhs, "resolve_expression"):
            raise FieldError(
                f"{self.lhs.target.model._meta.db_table}.{self.lhs.target.column} is encrypted:"
                " it can be compared with the empty string only"
            )
        return super().get_prep_lookup()


class EncryptedTextField(EncryptedMixin, models.TextField):
    pass


class EncryptedCharField(EncryptedMixin, models.CharField):
    """A CharField whose max_length limits the plaintext; the column is text."""

    def db_parameters(self, connection):
        return models.TextField().db_parameters(connection)


class EncryptedEmailField(EncryptedMixin, models.EmailField):
    def db_parameters(self, connection):
        return models.TextField().db_parameters(connection)


# -- files --------------------------------------------------------------------------------------

FILE_MAGIC = b"OMBF\x01"
PREFIX_BYTES = 7
CHUNK = 64 * 1024
TAG_BYTES = 16
FILE_HEADER = len(FILE_MAGIC) + PREFIX_BYTES
_CHUNK_NONCE = struct.Struct(">IB")  # chunk index, last chunk (1) or not (0)


def encrypt_file(data: bytes, key: bytes) -> bytes:
    aead = AESGCM(key)
    header = FILE_MAGIC + os.urandom(PREFIX_BYTES)
    out = [header]
    count = max(1, -(-len(data) // CHUNK))
    for index in range(count):
        last = index == count - 1
        nonce = header[len(FILE_MAGIC) :] + _CHUNK_NONCE.pack(index, last)
        out.append(aead.encrypt(nonce, data[index * CHUNK : (index + 1) * CHUNK], header))
    return b"".join(out)


def decrypt_file(blob: bytes, key: bytes, name: str) -> bytes:
    if not blob.startswith(FILE_MAGIC) or len(blob) < FILE_HEADER + TAG_BYTES:
        raise crypto.DecryptionFailed(f"{name} is not an encrypted file")
    aead = AESGCM(key)
    header = blob[:FILE_HEADER]
    body = blob[FILE_HEADER:]
    step = CHUNK + TAG_BYTES
    count = max(1, -(-len(body) // step))
    out = []
    try:
        for index in range(count):
            last = index == count - 1
            nonce = header[len(FILE_MAGIC) :] + _CHUNK_NONCE.pack(index, last)
            out.append(aead.decrypt(nonce, body[index * step : (index + 1) * step], header))
    except InvalidTag:
        raise crypto.DecryptionFailed(f"{name} does not decrypt: truncated or tampered") from None
    return b"".join(out)


class EncryptingStorageMixin:
    """Encrypts on save and decrypts on open, over any Django storage. `open_raw` and `save_raw`
    move the ciphertext as it is (backups copy ciphertext; the keys travel in the database)."""

    def _save(self, name, content):
        if hasattr(content, "seek"):
            content.seek(0)
        data = content.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        ring = crypto.keyring()
        key = AESGCM.generate_key(bit_length=256)
        saved = super()._save(name, ContentFile(encrypt_file(data, key)))
        ring.file_key_keep(saved, ring.owner_of_file(saved), key)
        return saved

    def _open(self, name, mode="rb"):
        if any(flag in mode for flag in "wa+"):
            raise ValueError("encrypted files are written through save(), never opened to write")
        with super()._open(name, "rb") as raw:
            blob = raw.read()
        key = crypto.keyring().file_key(name)
        if key is None:
            if blob.startswith(FILE_MAGIC):
                raise crypto.DecryptionFailed(f"{name} cannot be read: its key was destroyed")
            data = blob  # stored before encryption: `ombuds keys rotate` encrypts it
        else:
            data = decrypt_file(blob, key, name)
        return File(io.BytesIO(data), name=name)

    def size(self, name):
        with self._open(name) as f:
            return len(f.read())

    def delete(self, name):
        super().delete(name)
        crypto.keyring().file_key_destroy(name)

    def encrypt_in_place(self, name) -> bool:
        """Encrypt a file stored before encryption, under its own name (`ombuds keys rotate`). The
        key is kept first: interrupted before the file is replaced, the file does not open until a
        run encrypts it (a plaintext file with a key is refused, never trusted). True if done."""
        ring = crypto.keyring()
        with super()._open(name, "rb") as raw:
            data = raw.read()
        if data.startswith(FILE_MAGIC):
            return False
        key = AESGCM.generate_key(bit_length=256)
        ring.file_key_keep(name, ring.owner_of_file(name), key)
        self._replace(name, encrypt_file(data, key))
        return True

    def _replace(self, name, blob: bytes) -> None:
        super()._save(name, ContentFile(blob))  # an object store overwrites the object

    def open_raw(self, name):
        return super()._open(name, "rb")

    def save_raw(self, name, content):
        return super()._save(self.get_available_name(name), content)


class EncryptedFileSystemStorage(EncryptingStorageMixin, FileSystemStorage):
    """The local disk, every file and folder readable by the process' own user only."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        super().__init__(*args, **kwargs)

    def _replace(self, name, blob: bytes) -> None:
        path = self.path(name)
        temporary = f"{path}.encrypting"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)  # atomic: the old bytes or the new, never half


def encrypt_existing(model, batch: int = 500) -> int:
    """Seal the values of `model`'s encrypted fields written before they were encrypted (a data
    migration calls it with the historical model); sealed values are left alone. The count sealed."""
    from django.db import connection, transaction

    fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]
    qn = connection.ops.quote_name
    table, pk = model._meta.db_table, model._meta.pk.column
    columns = ", ".join(qn(f.column) for f in fields)
    done, last = 0, 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {qn(pk)}, {columns} FROM {qn(table)} WHERE {qn(pk)} > %s"
                f" ORDER BY {qn(pk)} LIMIT %s",
                [last, batch],
            )
            rows = cursor.fetchall()
        if not rows:
            return done
        with transaction.atomic(), connection.cursor() as cursor:
            for pk_value, *values in rows:
                plain = [
                    (f, v)
                    for f, v in zip(fields, values, strict=True)
                    if v and not v.startswith(crypto.TEXT_PREFIX)
                ]
                if not plain:
                    continue
                instance = model._base_manager.get(pk=pk_value)
                for field, value in plain:
                    sealed = crypto.seal_text(value, field.owner(instance), field.context())
                    cursor.execute(
                        f"UPDATE {qn(table)} SET {qn(field.column)} = %s"
                        f" WHERE {qn(pk)} = %s AND {qn(field.column)} = %s",
                        [sealed, pk_value, value],
                    )
                    done += cursor.rowcount
        last = rows[-1][0]
