"""Rate limits behind a reverse proxy: every request reaches Ombuds from the proxy's address, with the
client's in X-Forwarded-For. Without OMBUDS_TRUSTED_PROXIES (the recipe before issue 11) the whole
site shares one bucket, so a few wrong sign-ins from anyone lock everyone out; with it set to the
one proxy, each client counts apart, and what a client writes into the header itself is ignored."""

from __future__ import annotations

import pytest
from django.test import Client

PROXY = "10.0.0.2"  # every request arrives from the proxy
LIMIT = 3
REFUSED = 400  # a wrong password: the form again, with its error


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.OMBUDS_SIGN_IN_ATTEMPTS_PER_HOUR = LIMIT
    settings.OMBUDS_REGISTER_SEARCHES_PER_MINUTE = LIMIT


def through_proxy(forwarded_for: str) -> Client:
    """A client behind the proxy: the proxy appends the address it saw to X-Forwarded-For."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def wrong_sign_in(client: Client):
    return client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})


@pytest.mark.django_db
def test_without_trusted_proxies_one_client_locks_everyone_out(settings):
    """The reproduction: the old recipe (no OMBUDS_TRUSTED_PROXIES) behind a proxy."""
    settings.OMBUDS_TRUSTED_PROXIES = 0
    attacker, chair = through_proxy("198.51.100.7"), through_proxy("203.0.113.9")
    assert [wrong_sign_in(attacker).status_code for _ in range(LIMIT)] == [REFUSED] * LIMIT
    locked = wrong_sign_in(chair)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0


@pytest.mark.django_db
def test_with_one_trusted_proxy_each_client_signs_in_apart(settings):
    settings.OMBUDS_TRUSTED_PROXIES = 1
    attacker, chair = through_proxy("198.51.100.7"), through_proxy("203.0.113.9")
    assert [wrong_sign_in(attacker).status_code for _ in range(LIMIT)] == [REFUSED] * LIMIT
    assert wrong_sign_in(attacker).status_code == 429
    assert wrong_sign_in(chair).status_code == REFUSED  # the form's own error: not locked out


@pytest.mark.django_db
def test_with_one_trusted_proxy_each_client_searches_the_register_apart(settings, body):
    settings.OMBUDS_TRUSTED_PROXIES = 1
    one, other = through_proxy("198.51.100.7"), through_proxy("2001:db8::1")
    url = f"/{body.slug}/register/?q=Smith"
    assert [one.get(url).status_code for _ in range(LIMIT)] == [200] * LIMIT
    assert one.get(url).status_code == 429
    assert other.get(url).status_code == 200


@pytest.mark.django_db
def test_a_client_cannot_escape_its_bucket_by_writing_the_header_itself(settings):
    """The proxy appends the address it saw to whatever the client sent: only that last one counts."""
    settings.OMBUDS_TRUSTED_PROXIES = 1
    for n in range(LIMIT):
        assert wrong_sign_in(through_proxy(f"192.0.2.{n}, 198.51.100.7")).status_code == REFUSED
    assert wrong_sign_in(through_proxy("192.0.2.99, 198.51.100.7")).status_code == 429
