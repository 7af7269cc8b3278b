"""Filing a return: who may, what is kept (the files encrypted, the findings, one audit event),
nothing at all when the files' shape is wrong, and an amended return naming the one it replaces."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage

from ombuds.audit.models import Event
from ombuds.compliance import services, synthetic
from ombuds.compliance.models import Finding, Programme, Return, ReturnFile
from ombuds.core.changes import ChangedMeanwhile
from tests.compliance.conftest import PROGRAMME

MARCH = synthetic.month("2026-03")


def files(folder, plant=(), seed=7):
    made = synthetic.Synthetic(seed=seed, period=MARCH, clients=10, plant=plant)
    return made.write(folder), made.planted


def file_it(council, paths, who="agency_admin", **extra):
    return services.return_file(
        organization=council.body,
        agency=council.agency,
        return_key="trust_ledger",
        period=MARCH,
        paths=paths,
        user=council.users[who],
        **extra,
    )


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("agency_admin", True),
        ("body_staff", True),
        ("agency_employee", False),
        ("other_agency_admin", False),
        ("no_role", False),
    ],
)
def test_the_agencys_administrators_and_the_bodys_staff_file_nobody_else(
    council, tmp_path, who, allowed
):
    paths, _ = files(tmp_path)
    if allowed:
        assert file_it(council, paths, who).status == Return.Status.FILED
    else:
        with pytest.raises(services.ReturnRefused, match="may not file"):
            file_it(council, paths, who)
        assert not Return.objects.exists()


def test_a_filed_return_keeps_its_findings_its_files_encrypted_and_one_event(council, tmp_path):
    paths, planted = files(tmp_path, plant={"shortfall", "no_contract", "fee_beyond_contract"})
    events_before = Event.objects.count()
    filed = file_it(council, paths)
    stored = {(f.rule_key, f.provision, f.client_ref or None, f.date) for f in filed.findings.all()}
    assert stored == {(p.rule, p.provision, p.client, p.date) for p in planted}
    shortfall = filed.findings.get(rule_key="shortfall")
    assert shortfall.amount > 0 and shortfall.status == Finding.Status.OPEN
    assert {"bank_balance", "owed_to_clients"} <= set(shortfall.evidence)
    ledger = filed.files.get(key="ledger")
    raw = default_storage.open_raw(ledger.file.name).read()
    assert b"collection" not in raw  # encrypted at rest
    assert default_storage.open(ledger.file.name).read() == paths["ledger"].read_bytes()
    assert ledger.file.name.startswith("evidence/council/returns/")
    event = Event.objects.order_by("-seq").first()
    assert Event.objects.count() == events_before + 1
    assert event.action == "compliance.return_filed"
    assert event.data["findings"] == {"1.2(c)": 1, "1.3(a)": 1, "1.3(d)": 1}
    assert event.data["files"]["ledger"] == ledger.sha256
    assert filed.code_version is not None and filed.filed_by == council.users["agency_admin"]


def test_a_return_whose_shape_is_wrong_is_refused_with_every_problem_and_nothing_kept(
    council, tmp_path
):
    paths, planted = files(tmp_path, plant={"records", "shortfall"})
    events_before = Event.objects.count()
    with pytest.raises(services.ReturnRefused) as refused:
        file_it(council, paths)
    assert len(refused.value.problems) == len([p for p in planted if p.rule == "records"])
    assert any("kind is not one of" in p for p in refused.value.problems)
    assert not Return.objects.exists() and not ReturnFile.objects.exists()
    assert Event.objects.count() == events_before
    assert not (default_storage.exists("evidence/council/returns"))


def test_a_missing_file_or_column_is_refused(council, tmp_path):
    paths, _ = files(tmp_path)
    with pytest.raises(services.ReturnRefused, match="the bank file is missing"):
        file_it(council, {k: v for k, v in paths.items() if k != "bank"})
    paths["contracts"].write_text("client,signed_on,fee\nA,2026-01-01,5\n")
    with pytest.raises(services.ReturnRefused) as refused:
        file_it(council, paths)
    assert refused.value.problems == [
        "contracts: the column 'fee_percent' is missing",
        "contracts: the column 'fixed_fee' is missing",
        "contracts: the column 'fee' is not one of client, signed_on, fee_percent, fixed_fee",
    ]


def test_the_period_of_a_monthly_return_is_a_whole_month(council, tmp_path):
    paths, _ = files(tmp_path)
    with pytest.raises(services.ReturnRefused, match="one whole month"):
        services.return_file(
            organization=council.body,
            agency=council.agency,
            return_key="trust_ledger",
            period=(dt.date(2026, 3, 1), dt.date(2026, 3, 15)),
            paths=paths,
            user=council.users["agency_admin"],
        )


def test_an_amended_return_names_the_one_it_replaces(council, tmp_path):
    paths, _ = files(tmp_path, plant={"shortfall"})
    first = file_it(council, paths)
    honest, _ = files(tmp_path / "amended")
    with pytest.raises(ChangedMeanwhile, match=f"return {first.pk} was filed"):
        file_it(council, honest)
    with pytest.raises(services.ReturnRefused, match="no filed return 12345"):
        services.return_file(
            organization=council.body,
            agency=council.other_agency,
            return_key="trust_ledger",
            period=MARCH,
            paths=honest,
            user=council.users["body_staff"],
            amends=12345,
        )
    second = file_it(council, honest, amends=first.pk)
    first.refresh_from_db()
    assert first.status == Return.Status.SUPERSEDED and second.amends == first
    assert first.findings.count() == 1 and second.findings.count() == 0


def test_check_stores_nothing(council, tmp_path):
    paths, planted = files(tmp_path, plant={"negative_balance"})
    outcome = services.return_check(
        organization=council.body,
        agency=council.agency,
        return_key="trust_ledger",
        period=MARCH,
        paths=paths,
    )
    assert [(f.rule, f.client) for f in outcome.findings] == [(p.rule, p.client) for p in planted]
    assert not Return.objects.exists() and not Finding.objects.exists()


def test_a_programme_is_installed_once_and_its_version_is_not_rewritten(council):
    text = PROGRAMME.read_text()
    again = services.programme_install(organization=council.body, text=text)
    assert Programme.objects.filter(organization=council.body).count() == 1
    assert again.sha256 == Programme.objects.get().sha256
    with pytest.raises(services.ReturnRefused, match="installed with other words"):
        services.programme_install(organization=council.body, text=text + "\n# changed\n")
    with pytest.raises(services.ReturnRefused, match="not in the body's code"):
        services.programme_install(
            organization=council.body, text=text.replace('"1.2(d)"', '"8.8(d)"')
        )
