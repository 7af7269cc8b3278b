"""The daily work: once a day per job, on the record, at the hour in the deployment's time zone."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from ombuds.audit.models import Event
from ombuds.operations import daily
from ombuds.operations.models import DailyRun

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 2)


@pytest.fixture
def calls(monkeypatch):
    """Each job replaced by one that notes the day it ran for."""
    seen: list[tuple[str, dt.date]] = []

    def job(name):
        def work(*, today):
            seen.append((name, today))
            return {"done": 1}

        return work

    monkeypatch.setattr(daily, "JOBS", {name: job(name) for name in daily.JOBS})
    return seen


def test_a_run_is_on_the_record_with_its_counts_and_an_audit_event():
    run = daily.daily_run("register", day=DAY, worker="w1")
    assert run.outcome == DailyRun.Outcome.SUCCEEDED
    assert run.finished_at is not None and run.attempts == 1 and run.worker == "w1"
    assert "expired" in run.summary and "reminders sent" in run.summary
    event = Event.objects.get(action="operations.daily_run")
    assert event.subject_id == str(run.pk)


def test_a_day_that_already_ran_does_nothing(calls):
    assert daily.daily_run("cases", day=DAY, worker="w1") is not None
    assert daily.daily_run("cases", day=DAY, worker="w2") is None
    assert calls == [("cases", DAY)]
    assert DailyRun.objects.get(job="cases").attempts == 1
    # The next day is another run.
    assert daily.daily_run("cases", day=DAY + dt.timedelta(days=1), worker="w1") is not None


def test_a_failed_run_is_on_the_record_and_taken_up_again(monkeypatch, calls):
    def broken(*, today):
        raise RuntimeError("the mail server said no")

    monkeypatch.setitem(daily.JOBS, "attest", broken)
    run = daily.daily_run("attest", day=DAY, worker="w1")
    assert run.outcome == DailyRun.Outcome.FAILED
    assert "RuntimeError: the mail server said no" in run.error
    assert Event.objects.filter(action="operations.daily_run").count() == 1

    monkeypatch.setitem(daily.JOBS, "attest", lambda *, today: {"reminders sent": 2})
    again = daily.daily_run("attest", day=DAY, worker="w2")
    assert again.pk == run.pk and again.attempts == 2
    assert again.outcome == DailyRun.Outcome.SUCCEEDED and again.error == ""
    assert again.summary == {"reminders sent": 2}


def test_the_work_is_due_at_the_hour_in_the_time_zone(settings, calls):
    settings.TIME_ZONE = "Australia/Sydney"  # UTC+11 in March
    settings.OMBUDS_DAILY_AT = "02:30"
    before = dt.datetime(2025, 3, 1, 15, 29, tzinfo=dt.UTC)  # 02:29 in Sydney, 2 March
    assert daily.run_due(worker="w1", now=before) == []
    assert calls == []
    after = dt.datetime(2025, 3, 1, 15, 31, tzinfo=dt.UTC)  # 02:31 in Sydney, 2 March
    runs = daily.run_due(worker="w1", now=after)
    assert [run.job for run in runs] == [
        "register",
        "cases",
        "attest",
        "compliance",
        "certification",
        "first tier",
        "erasures",
        "sessions",
    ]
    assert {day for _job, day in calls} == {dt.date(2025, 3, 2)}
    # The scheduler firing again (or a second worker catching up) finds the day done.
    assert daily.run_due(worker="w2", now=after + dt.timedelta(hours=1)) == []
    assert len(calls) == 8


def test_a_malformed_hour_is_refused(settings):
    settings.OMBUDS_DAILY_AT = "half past two"
    with pytest.raises(ImproperlyConfigured, match="OMBUDS_DAILY_AT"):
        daily.daily_at()


def test_the_command_runs_today_once_and_lists_the_runs(capsys, calls):
    call_command("daily", "run")
    out = capsys.readouterr().out
    assert "register: succeeded" in out and "attest: succeeded" in out
    call_command("daily", "run", "--job", "cases")
    assert "cases: already ran" in capsys.readouterr().out
    assert len(calls) == 8
    call_command("daily")
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 8 and all("succeeded" in line for line in listing)


def test_the_command_fails_with_the_job_s_error(monkeypatch, calls):
    def broken(*, today):
        raise RuntimeError("disk full")

    monkeypatch.setitem(daily.JOBS, "register", broken)
    with pytest.raises(CommandError, match="register: RuntimeError: disk full"):
        call_command("daily", "run", "--job", "register")
