"""`ombuds demo`: the demonstration bodies with their codes, registers, cases and members.

The codes are Ombuds' demonstration wording (ombuds/demo/codes/) in a bare clone, and the official
texts where the shared folder has them; the tests marked `shared` need the official texts and skip,
saying so, without them."""

import itertools
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import BodyRole, Organization
from ombuds.cases.models import Document
from ombuds.codes.models import CodeVersion, Provision
from ombuds.codes.parser import parse
from ombuds.compliance import schedule
from ombuds.compliance.models import Finding, Programme, Return
from ombuds.demo import citations, compliance_data
from ombuds.demo.loader import DEMO_CODES_DIR, SEED_BODIES
from ombuds.register import recert_audit
from ombuds.register import recertification as recert
from ombuds.register.models import (
    Agency,
    AuditDraw,
    Credential,
    RecertificationCycle,
    StatusEvent,
)
from ombuds.register.services import apply_due_transitions
from tests.shared_texts import read_shared, shared_dir

pytestmark = pytest.mark.django_db

DEMONSTRATION = (
    "codes: Ombuds' demonstration wording "
    "(set OMBUDS_SHARED_DIR or --codes DIR for the official texts)"
)


def _citations(text: str, filename: str) -> list[str]:
    return [p.citation for p in parse(text, filename=filename).walk()]


def _snapshot():
    user = get_user_model().objects.get(username="admin")
    return (
        list(Organization.objects.values_list("slug", "name", "acronym")),
        list(CodeVersion.objects.values_list("pk", "label", "status", "published_at")),
        Provision.objects.count(),
        user.password,
        BodyRole.objects.count(),
        list(Credential.objects.order_by("pk").values_list("number", "status", "expires_on")),
        StatusEvent.objects.count(),
        Agency.objects.count(),
        list(Programme.objects.values_list("pk", "installed_at")),
        list(Return.objects.order_by("pk").values_list("pk", "status")),
        list(Finding.objects.order_by("pk").values_list("pk", "status", "cure_by")),
    )


@pytest.fixture
def without_compliance(monkeypatch):
    """The demo without CSEC's year of compliance returns, for the tests that load it again to see
    something else: the engine checks every return as it is filed, which takes minutes (the
    session's demo, which the `demo` fixture gives, has them)."""
    monkeypatch.setattr(compliance_data, "load_compliance", lambda csec, password: [])


def test_demo_loads_both_bodies_with_published_codes_and_prints_a_login(demo):
    out = demo.output
    assert {o.slug for o in Organization.objects.all()} == {"espcc", "csec"}
    csec = CodeVersion.objects.get(code__organization__slug="csec")
    espcc = CodeVersion.objects.get(code__organization__slug="espcc")
    assert csec.is_published and espcc.is_published
    assert csec.provisions.filter(citation="1.2(c)").exists()
    assert espcc.provisions.filter(citation="3.8").exists()
    login = out.strip().splitlines()[-1]
    assert login.startswith("Administrator login: admin / ")
    password = login.rsplit(" ", 1)[-1]
    assert get_user_model().objects.get(username="admin").check_password(password)


def test_running_the_demo_twice_changes_nothing(demo, capsys):
    first_login = demo.output.strip().splitlines()[-1]
    before = _snapshot()
    call_command("demo")
    second = capsys.readouterr().out
    assert _snapshot() == before
    assert second.strip().splitlines()[-1] == first_login
    assert "already loaded" in second


def test_an_admin_account_made_another_way_keeps_its_password(
    without_compliance, django_user_model, capsys
):
    django_user_model.objects.create_superuser("admin", "ops@example.org", "the-operators-own")
    call_command("demo")
    assert "was left as it is" in capsys.readouterr().out
    assert django_user_model.objects.get(username="admin").check_password("the-operators-own")


def test_a_bare_clone_gets_the_demonstration_wording_and_is_told_so(
    without_compliance, settings, tmp_path, capsys, client
):
    """With no shared folder anywhere, the demo loads Ombuds' own wording of both codes (it used to
    stop: "seed texts not found"), says so first, and the code pages say so too."""
    settings.SHARED_DIR = tmp_path / "nowhere"
    call_command("demo")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == DEMONSTRATION
    assert out[-1].startswith("Administrator login: admin / ")
    for version in CodeVersion.objects.all():
        assert version.is_published and version.title.endswith("(demonstration wording)")
        assert any("demonstration wording written for Ombuds" in p for p in version.preamble)
    page = client.get("/csec/code/").content.decode()
    assert re.search(r"<h1[^>]*>\s*Code of Ethical Conduct \(demonstration wording\)", page)
    assert "not the official text of the CSEC code" in page
    assert "(demonstration wording)" in client.get("/espcc/code/3.8").content.decode()


def test_codes_from_a_folder_without_the_texts_is_a_one_line_refusal(tmp_path):
    (tmp_path / "csec-code-of-ethical-conduct.txt").write_text("Code\n1. Be kind.\n")
    with pytest.raises(CommandError) as refused:
        call_command("demo", codes=str(tmp_path))
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"--codes {tmp_path}: ")
    assert "espcc-cesp-code-of-conduct.txt" in message
    assert not Organization.objects.exists()


def test_every_citation_the_demo_data_uses_is_in_the_demonstration_wording():
    cited = citations.cited_by_body()
    assert set(cited) == {body.slug for body in SEED_BODIES}
    for body in SEED_BODIES:
        text = (DEMO_CODES_DIR / body.seed).read_text(encoding="utf-8")
        missing = cited[body.slug] - set(_citations(text, body.seed))
        assert not missing, f"{body.seed} lacks {sorted(missing)}"


@pytest.mark.shared
def test_the_demonstration_wording_numbers_its_provisions_as_the_official_texts_do():
    cited = citations.cited_by_body()
    for body in SEED_BODIES:
        official = _citations(read_shared(f"seeds/{body.seed}"), body.seed)
        ours = _citations((DEMO_CODES_DIR / body.seed).read_text(encoding="utf-8"), body.seed)
        assert ours == official, body.seed
        assert cited[body.slug] <= set(official)


def test_a_code_without_a_provision_the_demo_cites_stops_the_demo_and_names_it(tmp_path):
    for body in SEED_BODIES:
        shutil.copy(DEMO_CODES_DIR / body.seed, tmp_path / body.seed)
    csec = tmp_path / "csec-code-of-ethical-conduct.txt"
    lines = csec.read_text(encoding="utf-8").splitlines(keepends=True)
    csec.write_text("".join(line for line in lines if not line.startswith("2.3.")))
    with pytest.raises(CommandError, match=r"CSEC v1 .*has no provision 2\.3, which the demo"):
        call_command("demo", codes=str(tmp_path))
    assert not Organization.objects.exists()


@pytest.mark.shared
def test_the_official_texts_are_loaded_from_codes_and_a_later_run_keeps_them(
    without_compliance, settings, tmp_path, capsys
):
    """`--codes DIR` (here the shared folder, whose seeds/ holds the texts) loads the official
    texts; a later run without them keeps what the demo's records cite and says so."""
    read_shared("seeds/csec-code-of-ethical-conduct.txt")
    settings.SHARED_DIR = tmp_path / "nowhere"
    call_command("demo", codes=str(shared_dir()))
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"codes: official texts from {(shared_dir() / 'seeds').resolve()}"
    titles = set(CodeVersion.objects.values_list("title", flat=True))
    assert titles == {"Code of Ethical Conduct", "CESP™ Code of Conduct"}

    call_command("demo")
    again = capsys.readouterr().out.splitlines()
    assert again[0] == DEMONSTRATION
    assert again[1].startswith("ESPCC: CESP™ Code of Conduct v1 already loaded and kept (not the")
    assert set(CodeVersion.objects.values_list("title", flat=True)) == titles


@pytest.mark.shared
def test_the_demo_loads_the_official_texts_where_the_shared_folder_has_them(demo, settings):
    read_shared("seeds/csec-code-of-ethical-conduct.txt")
    seeds = (Path(settings.SHARED_DIR) / "seeds").resolve()
    assert demo.output.splitlines()[0] == f"codes: official texts from {seeds}"
    csec = CodeVersion.objects.get(code__organization__slug="csec")
    assert csec.title == "Code of Ethical Conduct"


def test_the_demo_register_has_every_credential_state_each_reached_through_its_events(demo):
    credentials = Credential.objects.filter(program__organization__slug="espcc")
    # The register's 300, and those the demo's exam results certified (ombuds.demo.certification_data).
    assert credentials.filter(applications__isnull=True).count() == 300
    assert set(credentials.values_list("status", flat=True)) == {
        "candidate",
        "active",
        "expired",
        "lapsed",
        "inactive",
        "suspended",
        "revoked",
        "surrendered",
    }
    for credential in credentials.prefetch_related("events"):
        history = [(e.from_status, e.to_status) for e in credential.events.all()]
        assert history[0][0] == "" and history[-1][1] == credential.status
        assert all(a[1] == b[0] for a, b in itertools.pairwise(history))
    csec = Agency.objects.filter(organization__slug="csec")
    assert csec.count() == 36
    assert all(a.affiliations.count() == 4 for a in csec.prefetch_related("affiliations"))


def test_the_demo_has_candidates_at_every_stage_and_an_exam_window_with_results(demo):
    from ombuds.certification import workflow
    from ombuds.certification.models import Application, ExamWindow, Incident

    applications = Application.objects.filter(organization__slug="espcc")
    assert set(applications.values_list("state", flat=True)) == set(workflow.LABELS)
    window = ExamWindow.objects.get(program__code="cesp")
    assert set(window.sittings.values_list("result", flat=True)) == {"", "pass", "fail"}
    for certified in applications.filter(state=workflow.CERTIFIED):
        assert certified.credential.status == "active"
        assert certified.credential.cycles.filter(outcome="open").exists()
    assert Incident.objects.get().case.allegations.get().provisions.get().citation == "2.3"


def test_nothing_is_due_when_the_demo_has_just_loaded(demo):
    assert set(apply_due_transitions().values()) == {0}
    for credential in Credential.objects.prefetch_related("events"):
        dates = [e.effective_date for e in credential.events.all()]
        assert dates == sorted(dates), credential.number


def test_the_demo_logins_it_prints_work_with_their_second_factor(demo, client, settings):
    """The printed administrator login passes the second factor with a printed recovery code; the
    printed members sign in with the same password and land on their own pages."""
    settings.OMBUDS_REQUIRE_SECOND_FACTOR = True
    out = demo.output
    password = re.search(r"Administrator login: admin / (\S+)", out).group(1)
    codes = re.search(r"recovery codes \(each works once\): (.+)", out).group(1).split()
    members = re.findall(r"(\S+@\S+) \(agency administrator", out)

    response = client.post("/accounts/login/", {"username": "admin", "password": password})
    assert response.status_code == 302
    assert client.get("/staff/csec/cases/").url.startswith("/accounts/two-factor/")
    response = client.post("/accounts/two-factor/?next=/staff/csec/cases/", {"code": codes[0]})
    assert response.status_code == 302
    assert client.get("/staff/csec/cases/").status_code == 200

    client.logout()
    response = client.post("/accounts/login/", {"username": members[0], "password": password})
    assert response.status_code == 302
    home = client.get("/me/")
    assert home.status_code == 200
    text = home.content.decode()
    assert "Cornerstone Keystone Child Support Services" in text
    # The agency administrator sees the campaign's coverage for their people, and the inbox.
    agency_pages = re.findall(r'href="(/me/agency/\d+/(?:people|complaints)/)"', text)
    assert len(set(agency_pages)) == 2
    for url in set(agency_pages):
        assert client.get(url).status_code == 200


def test_the_demo_a_test_gets_is_whole_down_to_its_audit_chain(demo, settings):
    """The `demo` fixture puts back what the session's one load wrote: its rows as they were (the
    audit chain hashes their times) and its files (a case's documents)."""
    verdict = audit.verify()
    assert verdict.ok and verdict.checked > 0, str(verdict)
    document = Document.objects.order_by("pk").first()
    assert document.file.storage.exists(document.file.name)
    assert str(settings.MEDIA_ROOT) in document.file.path


def test_the_demo_has_a_year_of_csec_returns_from_its_36_agencies(demo):
    """CSEC's programme applies from a year back: twelve monthly returns are due today from each of
    its 36 member agencies, and most filed all twelve (their honest ledgers found nothing)."""
    csec = Organization.objects.get(slug="csec")
    assert len(schedule.bound_agencies(csec)) == 36
    due = schedule.calendar(csec)
    months = sorted({d.start for d, _agency, _filed in due})
    assert len(months) == 12 and len(due) == 12 * 36
    filed = Return.objects.filter(organization=csec, status=Return.Status.FILED)
    assert sorted(set(filed.values_list("period_start", flat=True))) == months
    per_agency = Counter(filed.values_list("agency__external_id", flat=True))
    assert len(per_agency) == 36
    assert sum(n == 12 for n in per_agency.values()) >= 30
    with_findings = set(
        Finding.objects.filter(organization=csec).values_list("agency__external_id", flat=True)
    )
    assert 4 <= len(with_findings) <= 10


def test_the_demo_has_findings_in_every_state_and_one_case_opened_from_one(demo):
    csec = Organization.objects.get(slug="csec")
    found = Finding.objects.filter(organization=csec)
    assert set(found.values_list("status", flat=True)) >= {
        "open",
        "answered",
        "escalated",
        "corrected",
        "accepted",
        "referred",
    }
    # Every rule run on a filed return found something somewhere, and the daily job's overdue.
    assert set(found.values_list("rule_key", flat=True)) == {
        "shortfall",
        "negative_balance",
        "late_distribution",
        "fee_beyond_contract",
        "no_contract",
        "overdue",
    }
    today = timezone.localdate()
    assert all(f.cure_by >= today for f in found.filter(status="open"))
    assert all(f.cure_by < today for f in found.filter(status="escalated"))
    assert found.get(status="accepted").resolution
    referred = found.get(case__isnull=False)
    assert referred.status == "referred"
    allegation = referred.case.allegations.get()
    assert [p.citation for p in allegation.provisions.all()] == [referred.provision]
    assert referred.case.respondent_agency_id == referred.agency_id


def test_the_daily_job_has_nothing_left_to_do_when_the_demo_has_just_loaded(demo):
    assert set(schedule.compliance_tick().values()) == {0}


def test_the_agency_login_the_demo_prints_reads_and_answers_its_findings(demo, client):
    line = re.search(r"CSEC compliance, the agency's side: (\S+) at (\S+) ", demo.output)
    username, page = line.groups()
    client.login(username=username, password=demo.password)
    text = client.get(page).content.decode()
    assert "Findings to answer" in text
    for provision in ("1.3(d)", "1.3(a)", "1.2(d)"):
        assert provision in text
    assert "Overdue</strong>" not in text  # it filed every month


def test_every_certified_credential_has_a_cycle_and_some_were_submitted_and_audited(demo):
    credentials = Credential.objects.filter(program__organization__slug="espcc")
    certified = credentials.exclude(status="candidate")
    assert certified.count() > 250
    without = certified.exclude(cycles__isnull=False)
    assert not without.exists(), list(without.values_list("number", flat=True)[:5])
    assert not RecertificationCycle.objects.filter(credential__status="candidate").exists()
    # Every credential that holds has one open cycle; the others' are decided or ended.
    for credential in certified.filter(status__in=["active", "inactive", "suspended"]):
        assert credential.cycles.filter(outcome="open").count() == 1, credential.number
    assert not RecertificationCycle.objects.filter(
        outcome="open", credential__status__in=["revoked", "surrendered", "expired", "lapsed"]
    ).exists()
    submitted = RecertificationCycle.objects.filter(submitted_at__isnull=False)
    assert submitted.count() == 8
    draw = AuditDraw.objects.get()
    assert draw.cycles.count() == 2 and recert_audit.audit_replay(draw) == sorted(
        draw.cycles.values_list("pk", flat=True)
    )
    accepted = draw.cycles.get(outcome="compliant")
    assert all(a.evidence for a in accepted.activities.all())
    waiting = draw.cycles.get(outcome="open")
    assert recert.missing_evidence(waiting)
    assert audit.verify().ok
