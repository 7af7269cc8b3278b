"""Django's SQLite backend, linking each transaction's audit events as it commits."""

from django.db.backends.sqlite3 import base

from ombuds.audit.backends import LinksAuditEventsAtCommit


class DatabaseWrapper(LinksAuditEventsAtCommit, base.DatabaseWrapper):
    pass
