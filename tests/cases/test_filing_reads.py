"""What a filing reads (issue 18: intake's cost): the body's current data key once for every value
it seals, and nothing it has just written read back for its receipt notice, which says exactly
what a notice made from the database says; nothing held beyond the filing's transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ombuds.bodies.models import BodyKey, Organization
from ombuds.cases import notices, services
from ombuds.cases.models import Case, CaseDeadline, NoticeTemplate, ProcedureVersion
from ombuds.cases.services.deadlines import next_due_refresh
from ombuds.codes import services as codes
from ombuds.codes.models import CodeVersion
from ombuds.codes.selectors import bodies_with_current_codes, current_version
from ombuds.core import crypto
from tests.cases.conftest import complaint
from tests.conftest import small_code

pytestmark = pytest.mark.django_db

# A body's wording that shows everything a filing's notice could read back: the allegation and its
# provisions (cited with the body's prefix), the deadlines running, the procedure.
WORDING = (
    "{{ body.citation_prefix }} {{ case.reference }}: {{ case.complainant_name }}\n"
    "{% for a in allegations %}{{ a.position }}. {{ a.summary }} ({{ a.get_determination_display }})"
    "{% for p in a.provisions.all %} [{{ p.cite_as }}: {{ p.heading }}]{% endfor %}\n{% endfor %}"
    "{% for d in running %}{{ d.name }} {{ d.label }} {{ d.starts_on }} {{ d.due_on }}\n{% endfor %}"
    "{% for name, due in deadlines.items %}{{ name }}={{ due }} {% endfor %}"
    "{{ procedure.name }} {{ state.label }} {{ sanction }} {{ handler }}"
)


def _key_reads(queries: CaptureQueriesContext) -> int:
    return sum('"bodies_bodykey"' in q["sql"] for q in queries.captured_queries)


def test_a_filing_reads_the_bodys_data_key_once_for_every_value_it_seals(csec):
    services.case_file(organization=csec.org, complaint=complaint(csec))  # the key made
    with CaptureQueriesContext(connection) as queries:
        filed = services.case_file(
            organization=csec.org,
            complaint=complaint(csec, complainant_phone="+44 7700 900123", outcome_sought="Back."),
        )
    assert filed.case.notices.count() == 1  # its receipt notice sealed too
    assert _key_reads(queries) == 1
    case = Case.objects.get(pk=filed.case.pk)
    assert case.complainant_phone == "+44 7700 900123"
    assert case.notices.get().body.startswith("Dear Pat Complainant")


def test_the_current_key_is_held_only_inside_its_block():
    owner = None  # the deployment's own key
    crypto.seal_text("made", owner, "test")
    with CaptureQueriesContext(connection) as outside:
        crypto.seal_text("one", owner, "test")
        crypto.seal_text("two", owner, "test")
    assert _key_reads(outside) == 2
    with (
        transaction.atomic(),
        crypto.current_keys_held(),
        CaptureQueriesContext(connection) as inside,
    ):
        crypto.seal_text("one", owner, "test")
        crypto.seal_text("two", owner, "test")
    assert _key_reads(inside) == 1
    with CaptureQueriesContext(connection) as after:
        crypto.seal_text("three", owner, "test")
    assert _key_reads(after) == 1
    assert crypto.held_keys() is None


def test_a_key_rotated_is_read_again_by_the_next_transaction(csec):
    from ombuds.bodies import keys

    with transaction.atomic(), crypto.current_keys_held():
        before = crypto.text_decode(crypto.seal_text("x", csec.org.pk, "test"))
    keys.keys_start_rotation()
    with transaction.atomic(), crypto.current_keys_held():
        after = crypto.text_decode(crypto.seal_text("y", csec.org.pk, "test"))
    assert crypto.sealed_key_id(after) != crypto.sealed_key_id(before)
    current = BodyKey.objects.get(organization=csec.org, retired_at__isnull=True)
    assert crypto.sealed_key_id(after) == current.pk


def test_a_key_made_inside_the_block_is_not_held_past_a_savepoint_rolled_back():
    body = Organization.objects.create(slug="new-body", name="A body with no key yet")
    with transaction.atomic(), crypto.current_keys_held():
        with transaction.atomic():
            crypto.seal_text("lost", body.pk, "test")  # makes the body's key
            transaction.set_rollback(True)  # and the savepoint takes it away
        kept = crypto.seal_text("kept", body.pk, "test")
    assert crypto.open_text(kept, "test") == "kept"
    key = BodyKey.objects.get(organization=body)
    assert crypto.sealed_key_id(crypto.text_decode(kept)) == key.pk


def test_the_receipt_notice_says_what_one_made_from_the_database_says(csec):
    from ombuds.codes import code_settings

    code_settings.code_settings_update(
        organization=csec.org, citation_prefix="CEC", parsing_profile="", revision=None
    )
    NoticeTemplate.objects.create(
        organization=csec.org, name="receipt", subject="{{ case.reference }}", body=WORDING
    )
    citations = ["1.1(a)", "1.1(b)"] if csec.provision("1.1(b)") else [csec.default_citation]
    filed = services.case_file(
        organization=csec.org, complaint=complaint(csec, citations=citations[::-1])
    )
    case = Case.objects.get(pk=filed.case.pk)
    notice = case.notices.get()
    subject, body = notices.render(
        case, "receipt", "complainant", complainant_token=notice.link_token
    )
    url = notices.complainant_url(csec.org.slug, notice.link_token)
    assert (subject, body.replace(url, notices.COMPLAINANT_LINK_PLACEHOLDER)) == (
        notice.subject,
        notice.body,
    )
    assert "[CEC " in notice.body and "acknowledge" in notice.body


def test_a_filed_case_stores_its_next_due_date_and_procedure_version(csec):
    case = services.case_file(organization=csec.org, complaint=complaint(csec)).case
    stored = Case.objects.get(pk=case.pk)
    assert stored.next_due is not None
    assert stored.next_due == min(d.due_on for d in CaseDeadline.objects.filter(case=case))
    next_due_refresh(stored)  # what every other change to a deadline stores
    assert Case.objects.get(pk=case.pk).next_due == stored.next_due
    assert ProcedureVersion.objects.filter(
        organization=csec.org, sha256=stored.procedure_sha256
    ).exists()
    assert [d.name for d in stored.deadlines.all()] == ["acknowledge"]


def test_the_version_a_complaint_is_filed_under_is_chosen_as_the_code_pages_choose_it(csec):
    """`in_force` reads only what chooses the version (not every published version's preamble and
    parser warnings) and chooses the one `current_version` does: the newest in force today, an
    upcoming one passed over; every version upcoming, the newest."""
    today = timezone.localdate()
    versions = [csec.version]
    for label, days in (("v2", -10), ("v3", 30)):
        version, _ = codes.code_version_import(
            organization=csec.org,
            parsed=small_code(changed=True),
            source=f"csec {label}".encode(),
            label=label,
            effective_date=today + dt.timedelta(days=days),
            publish=True,
        )
        versions.append(version)
    with CaptureQueriesContext(connection) as queries:
        read = services.in_force(csec.org)
    chosen_sql = [q["sql"] for q in queries.captured_queries if '"codes_codeversion"' in q["sql"]]
    assert len(chosen_sql) == 1 and "preamble" not in chosen_sql[0]
    assert "warnings" not in chosen_sql[0]
    assert read.version.pk == current_version(csec.org).pk == versions[1].pk
    filed = services.case_file(
        organization=csec.org, complaint=complaint(csec, provisions=[]), read=read
    )
    assert Case.objects.get(pk=filed.case.pk).code_version_id == versions[1].pk
    # What else of the version is read when asked for: the same as a whole read.
    assert read.version.title == current_version(csec.org).title
    CodeVersion.objects.filter(pk__in=[v.pk for v in versions]).update(
        effective_date=today + dt.timedelta(days=5)
    )
    assert services.in_force(csec.org).version.pk == current_version(csec.org).pk == versions[2].pk


def test_two_versions_published_at_the_same_instant_choose_the_one_made_last(csec):
    """A tie on the publication time (a restore, an import of history) is broken the same way by
    the code pages, the list of bodies and the complaint form: the version made last."""
    version, _ = codes.code_version_import(
        organization=csec.org,
        parsed=small_code(changed=True),
        source=b"csec v2",
        label="v2",
        publish=True,
    )
    first = CodeVersion.objects.get(pk=csec.version.pk)
    CodeVersion.objects.filter(pk=version.pk).update(published_at=first.published_at)
    listed = dict(bodies_with_current_codes())
    assert current_version(csec.org).pk == version.pk
    assert services.in_force(csec.org).version.pk == version.pk
    assert listed[csec.org].pk == version.pk
