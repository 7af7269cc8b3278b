"""Shared fixtures: the settings every test runs with, the bodies, hand-built codes, personas with
their roles on a body, and the demo (loaded once per session, see tests/demo_snapshot.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from ombuds.bodies.models import BodyRole, Organization
from ombuds.codes import services
from ombuds.codes.parser import ParsedCode


def pytest_configure(config):
    # In CI the shared folder must be there: a test that would skip for want of it fails the run.
    if os.environ.get("OMBUDS_REQUIRE_SHARED") == "1":
        shared = Path(os.environ.get("OMBUDS_SHARED_DIR") or Path(__file__).parents[2] / "shared")
        if not (shared / "seeds").is_dir() or not (shared / "corpus" / "codes").is_dir():
            raise pytest.UsageError(
                f"OMBUDS_REQUIRE_SHARED=1 but {shared} has no seeds/ and corpus/"
            )


TEST_MASTER_KEY = "b21idWRzLXRlc3RzLW1hc3Rlci1rZXktMzItYnl0ZXM="


def settings_for_tests(folder: Path) -> dict:
    """What every test runs with, its data folder under `folder`."""
    from django.conf import settings

    return {
        "DATA_DIR": folder / "data",
        "MEDIA_ROOT": folder / "data" / "media",
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        # A fixed master key: what the tests encrypt never depends on a file in the data folder.
        "OMBUDS_MASTER_KEY": TEST_MASTER_KEY,
        "OMBUDS_MASTER_KEY_FILE": "",
        # Staff sign in with a second factor; the tests of that (tests/accounts) turn it back on,
        # the others sign their personas in with force_login and test what comes after.
        "OMBUDS_REQUIRE_SECOND_FACTOR": False,
        # A test's transaction is never committed: its audit events are linked as they are
        # recorded, where a deployment links them as it commits (ombuds.audit.backends;
        # tests/audit/test_linking_at_commit.py tests that, committing).
        # OMBUDS_TEST_AUDIT_AT_COMMIT=1 runs them as a deployment does: linked only when read.
        "AUDIT_LINK_AT_ONCE": os.environ.get("OMBUDS_TEST_AUDIT_AT_COMMIT") != "1",
        # A fresh in-memory cache per test: nothing cached carries over from one test to the next.
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": str(folder),
            }
        },
        # Tests render pages without running collectstatic first.
        "STORAGES": {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    }


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, settings):
    for name, value in settings_for_tests(tmp_path).items():
        setattr(settings, name, value)
    # Data keys unwrapped by an earlier test may name rows its rollback removed.
    from ombuds.bodies.keys import KEYRING

    KEYRING.forget()


def _commits(request) -> bool:
    """Whether the test's database commits for real: a transactional test, or a browser's (the
    live server's requests commit)."""
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        return True
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction"))


@pytest.fixture(autouse=True)
def _audit_linked_as_deployed(request, _data_dir, settings):
    """A test whose database commits links its audit events as a deployment does, as each
    transaction commits (not as each is recorded), and its chain must verify at its end: the
    browser tests and the transactional ones run the production linking through whole flows."""
    if not _commits(request):
        yield
        return
    request.getfixturevalue("transactional_db")  # set up first: its flush comes after the check
    settings.AUDIT_LINK_AT_ONCE = False
    yield
    from ombuds.audit.services import verify

    verdict = verify()
    assert verdict.ok, f"the audit chain does not verify after the test: {verdict}"


@pytest.fixture(autouse=True)
def _no_language_left_active():
    """Django's LocaleMiddleware activates a request's language in the thread and leaves it there:
    a test rendering outside a request after one whose request was in Spanish rendered in Spanish
    ("30 junio 2026"), depending on which tests shared its worker."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _throttle_clock_stands_still(request, monkeypatch):
    """The rate limits count requests in fixed windows of the clock (a minute, an hour). A test that
    makes a limit's worth of requests and one more, expecting that one refused, had it answered
    whenever the clock passed a window's edge in between (a busy CI machine takes seconds for a few
    requests). During a test the throttle reads the time the test started; tests/core/test_throttle.py
    sets it to chosen moments to test the windows themselves. The browser tests and the
    several-machines tests keep the real clock: their servers serve a whole session."""
    if request.node.path.parent.name in ("e2e", "multi"):
        return
    from ombuds.core import throttle

    started = time.time()
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: started))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under xdist (`./dev test` runs the suite on several workers, `--dist loadgroup`) the browser
    tests in tests/e2e/ stay together on one worker: one Chromium, one live server, one copy of the
    demo. Every other test is scheduled on its own, each worker with its own test database.

    The grouping is by path rather than by an `xdist_group` mark, which xdist 3.8 no longer sees
    under pytest 9.2 (pytest-xdist issue 1386). The tests are handed out in pytest-django's order
    (tests in a transaction, then transactional ones, then those without a database), not largest
    group first: a transactional test empties the tables after it, the rows the migrations wrote
    included (the audit chain's head), so on each worker it must come after the tests that expect
    the database as migrated, as it does in a run on one process."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    config.option.loadscopereorder = False

    class BrowserTestsTogether(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith("tests/e2e/"):
                return "browser"
            if nodeid.startswith("tests/multi/"):
                return "services"  # one SeaweedFS and one Redis for all of them
            return super()._split_scope(nodeid)

    return BrowserTestsTogether(config, log)


@pytest.fixture(scope="session")
def _demo_cache(django_db_setup, django_db_blocker):
    from tests.demo_snapshot import DemoCache

    cache = DemoCache(settings_for_tests, django_db_blocker)
    cache.snapshot()  # now, between two tests, while the database holds nobody's rows
    yield cache
    cache.close()


@pytest.fixture
def demo(_demo_cache, settings):
    """The demonstration data (`ombuds demo`: the official codes where the shared folder has them,
    else the demonstration wording), loaded once per session and restored into this
    test's database and data folder; ask for it before any fixture that writes. A `Demo` with the
    administrator's username and password and what the command printed."""
    from tests.demo_snapshot import restore

    return restore(_demo_cache.snapshot(), Path(settings.DATA_DIR))


def small_code(*, title: str = "Code of Practice", changed: bool = False) -> ParsedCode:
    """A two-article code written for the tests (not a real body's words)."""
    first_b = (
        "keep every client's money in a separate account"
        if not changed
        else "keep every client's money in a separate trust account"
    )
    article_2 = [
        {
            "label": "2.1",
            "citation": "2.1",
            "text": "Members shall not mislead a client.",
            "full_text": "Members shall not mislead a client.",
            "modality": "prohibition",
            "subject": "Members",
        },
    ]
    if changed:
        article_2.append(
            {
                "label": "2.2",
                "citation": "2.2",
                "text": "Members may publish their fees.",
                "full_text": "Members may publish their fees.",
                "modality": "permission",
                "subject": "Members",
            }
        )
    return ParsedCode.from_dict(
        {
            "title": title,
            "issuer": "Guild of Examples",
            "effective": "2024-01-01",
            "preamble": ["This code binds every member of the guild."],
            "provisions": [
                {
                    "label": "1",
                    "citation": "1",
                    "heading": "Clients",
                    "children": [
                        {
                            "label": "1.1",
                            "citation": "1.1",
                            "text": "Members shall:",
                            "children": [
                                {
                                    "label": "(a)",
                                    "citation": "1.1(a)",
                                    "text": "answer every complaint within ten days",
                                    "full_text": "Members shall answer every complaint within ten days",
                                    "modality": "obligation",
                                    "subject": "Members",
                                },
                                {
                                    "label": "(b)",
                                    "citation": "1.1(b)",
                                    "text": first_b,
                                    "full_text": f"Members shall {first_b}",
                                    "modality": "obligation",
                                    "subject": "Members",
                                },
                            ],
                        },
                        {
                            "label": "1.2",
                            "citation": "1.2",
                            "text": "Members shall keep records. Records are kept for six years.",
                            "full_text": "Members shall keep records. Records are kept for six years.",
                            "modality": "obligation",
                            "subject": "Members",
                        },
                    ],
                },
                {"label": "2", "citation": "2", "heading": "Colleagues", "children": article_2},
            ],
            "warnings": [],
        }
    )


@pytest.fixture
def body(db) -> Organization:
    return Organization.objects.create(slug="guild", name="Guild of Examples", acronym="GOE")


@pytest.fixture
def other_body(db) -> Organization:
    return Organization.objects.create(slug="other", name="Other Council", acronym="OC")


@pytest.fixture
def published(body):
    version, _ = services.code_version_import(
        organization=body, parsed=small_code(), source=b"v1", label="v1", publish=True
    )
    return version


@pytest.fixture
def draft(body):
    version, _ = services.code_version_import(
        organization=body, parsed=small_code(), source=b"draft", label="draft"
    )
    return version


def _user(django_user_model, username: str, **extra):
    return django_user_model.objects.create_user(
        username, f"{username}@example.org", "pw-not-used", **extra
    )


@pytest.fixture
def personas(db, django_user_model, body, other_body):
    """Named people and their roles. 'public' is anonymous (None)."""
    people = {
        "public": None,
        "signed_in_no_role": _user(django_user_model, "nora"),
        "body_admin": _user(django_user_model, "alice"),
        "body_staff": _user(django_user_model, "sam"),
        "committee_member": _user(django_user_model, "carl"),
        "other_body_admin": _user(django_user_model, "olga"),
        "superuser": django_user_model.objects.create_superuser("root", "root@example.org", "pw"),
    }
    BodyRole.objects.create(user=people["body_admin"], organization=body, role="administrator")
    BodyRole.objects.create(user=people["body_staff"], organization=body, role="staff")
    BodyRole.objects.create(
        user=people["committee_member"], organization=body, role="committee_member"
    )
    BodyRole.objects.create(
        user=people["other_body_admin"], organization=other_body, role="administrator"
    )
    return people
