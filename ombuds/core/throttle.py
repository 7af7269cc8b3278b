"""How often one client may ask: fixed windows per client and scope, counted in the database.

Limits are settings read when used (``OMBUDS_..._PER_MINUTE`` / ``_PER_HOUR``, see `THROTTLES`); 0 turns
a limit off. ``OMBUDS_TRUSTED_PROXIES`` (0) says how many reverse proxies append to X-Forwarded-For in
front of the site; with 0 the client address is REMOTE_ADDR.

The address itself is never stored: a count's key is the scope and a keyed hash of the address and
the day (`client_key`), so the table says how many requests one client made, never which client, and
keys of different days cannot be matched to one another.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ombuds.core.models import RateCount


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# scope: (setting, default limit, window in seconds)
THROTTLES = {
    "search": ("OMBUDS_REGISTER_SEARCHES_PER_MINUTE", 30, 60),
    "lookup": ("OMBUDS_REGISTER_LOOKUPS_PER_MINUTE", 60, 60),
    "bulk": ("OMBUDS_REGISTER_BULK_UPLOADS_PER_HOUR", 10, 3600),
    # Cases: complaints filed, and the anonymous follow-up's sign-in attempts (passphrase guessing).
    "complaint": ("OMBUDS_COMPLAINTS_PER_HOUR", 20, 3600),
    "followup": ("OMBUDS_FOLLOWUP_ATTEMPTS_PER_HOUR", 10, 3600),
    # Accounts: attempts to sign in with a password, or to have a reset link sent (ombuds.accounts).
    "sign_in": ("OMBUDS_SIGN_IN_ATTEMPTS_PER_HOUR", 20, 3600),
    # Certification: applications started without an account (each sends an email).
    "application": ("OMBUDS_APPLICATIONS_PER_HOUR", 10, 3600),
}


@dataclass(frozen=True)
class Throttled:
    scope: str
    limit: int
    window: int  # seconds
    retry_after: int  # seconds until the next request is allowed

    @property
    def window_text(self) -> str:
        return "an hour" if self.window == 3600 else f"{self.window} seconds"

    @property
    def retry_text(self) -> str:
        minutes, seconds = divmod(self.retry_after, 60)
        if minutes and seconds:
            return f"{minutes} minute{'s' * (minutes != 1)} {seconds} second{'s' * (seconds != 1)}"
        if minutes:
            return f"{minutes} minute{'s' * (minutes != 1)}"
        return f"{seconds} second{'s' * (seconds != 1)}"


def client_address(request) -> str:
    """The client's address for rate limiting: an IPv6 client is counted by its /64, which one
    household or server usually holds whole."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = _setting("OMBUDS_TRUSTED_PROXIES", 0)
    if proxies > 0:
        # Each trusted proxy appends the address it saw; the client is the one our outermost proxy
        # saw, whatever the client put in front of it.
        forwarded = [
            a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
        ]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if ip.version == 6 and not ip.ipv4_mapped:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)


# The HMAC's key is derived from SECRET_KEY with this salt (`salted_hmac`).
_CLIENT_KEY_SALT = "ombuds.core.throttle.client"


def client_key(scope: str, address: str, window_start: dt.datetime) -> str:
    """The key a client's requests are counted under: ``scope:<hex>``, the HMAC-SHA256 (with a key
    derived from SECRET_KEY) of the scope, the day number of the window and the address, so that
    the salt rotates daily and one client's counts in two scopes cannot be matched. Every window
    lies within one day (a day is a whole number of windows), so a client is counted under one key
    per window."""
    day = int(window_start.timestamp()) // 86400
    message = f"{scope}:{day}:{address}"
    digest = salted_hmac(_CLIENT_KEY_SALT, message, algorithm="sha256").hexdigest()
    return f"{scope}:{digest}"


# Counts of windows older than this are deleted now and then, so that the table stays small. It must
# be longer than the longest window (an hour).
RATE_COUNT_KEPT = dt.timedelta(hours=2)


def rate_count_increment(key: str, window_start: dt.datetime) -> int:
    """Count one more request for this key in the window starting then, and return the count so far.

    One atomic UPDATE in the database, so that parallel requests, in threads, processes or on other
    machines, are each counted: after N requests the count is N, and each request reads back its own
    count (the UPDATE locks the row until the transaction ends), so exactly `limit` requests of a
    parallel burst get through. The first request of a window creates its row; when a parallel
    request created it first, the unique constraint refuses the second row and the increment is
    retried. Creating a window's row also deletes the rows of windows long over.
    """
    counts = RateCount.objects.filter(key=key, window_start=window_start)
    with transaction.atomic():
        if counts.update(count=F("count") + 1):
            return counts.values_list("count", flat=True).get()
        try:
            # A savepoint: the refused INSERT must not break the transaction.
            with transaction.atomic():
                RateCount.objects.create(key=key, window_start=window_start, count=1)
        except IntegrityError:
            # Another request created the row between our UPDATE and our INSERT.
            counts.update(count=F("count") + 1)
            return counts.values_list("count", flat=True).get()
    # After the transaction, so as not to hold the new row while deleting; by the caller's clock.
    rate_counts_purge(window_start)
    return 1


def rate_counts_purge(now: dt.datetime | None = None) -> int:
    """Delete the counts of windows that started more than RATE_COUNT_KEPT before now; how many."""
    cutoff = (now or timezone.now()) - RATE_COUNT_KEPT
    deleted, _ = RateCount.objects.filter(window_start__lt=cutoff).delete()
    return deleted


def throttle_hit(request, scope: str) -> Throttled | None:
    """Count one request of this scope from the client; a Throttled when it is over the limit.

    A fixed window per client and scope, counted in the database (`rate_count_increment`): one
    client gets at most twice the limit across a window's edge, which is enough to stop listing the
    register.
    """
    setting, default, window = THROTTLES[scope]
    limit = _setting(setting, default)
    if limit <= 0:
        return None
    now = time.time()
    slot = int(now // window)
    window_start = dt.datetime.fromtimestamp(slot * window, tz=dt.UTC)
    count = rate_count_increment(
        client_key(scope, client_address(request), window_start), window_start
    )
    if count <= limit:
        return None
    return Throttled(scope, limit, window, max(1, int((slot + 1) * window - now) + 1))
