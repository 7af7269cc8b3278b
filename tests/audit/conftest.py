"""The audit tests run with a fixed audit key, as a deployment would set OMBUDS_AUDIT_KEY."""

from __future__ import annotations

import pytest

AUDIT_KEY = "audit-key-for-tests-0123456789abcdef"


@pytest.fixture(autouse=True)
def _audit_key(settings):
    settings.OMBUDS_AUDIT_KEY = AUDIT_KEY
