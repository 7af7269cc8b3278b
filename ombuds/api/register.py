"""The register's JSON API: public verification and search; staff writes with a token."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["register"])
