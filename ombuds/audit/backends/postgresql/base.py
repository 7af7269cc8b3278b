"""Django's PostgreSQL backend, linking each transaction's audit events as it commits."""

from django.db.backends.postgresql import base

from ombuds.audit.backends import LinksAuditEventsAtCommit


class DatabaseWrapper(LinksAuditEventsAtCommit, base.DatabaseWrapper):
    pass
