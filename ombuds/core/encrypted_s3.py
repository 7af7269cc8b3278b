"""The encrypting storage over an S3-compatible object store (django-storages): the store holds only
ciphertext (`ombuds.core.encrypted`)."""

from __future__ import annotations

from storages.backends.s3 import S3Storage

from ombuds.core.encrypted import EncryptingStorageMixin


class EncryptedS3Storage(EncryptingStorageMixin, S3Storage):
    pass
