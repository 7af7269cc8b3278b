"""Nobody is told "notified" before the respondent's notice is delivered (issue 13, item 3): the
anonymous complainant's follow-up, through the API and the page, says the notice is on its way,
and shows the "respondent notified" notice only once the delivery is recorded."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ombuds.bodies.models import BodyRole
from ombuds.cases import services
from ombuds.cases.models import BodyProcedure, Notice
from tests.cases.test_cases_api import ANONYMOUS, COMPLAINTS, FOLLOWUP, PASSPHRASE, post


@pytest.fixture
def csec_guild(body, published):
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    return body


@pytest.fixture
def chair(body, django_user_model):
    user = django_user_model.objects.create_user("cora", "cora@example.org", "pw")
    BodyRole.objects.create(user=user, organization=body, role="ethics_chair")
    return user


def test_the_complainant_is_told_notified_only_once_the_delivery_is_recorded(
    client, csec_guild, chair
):
    filed = post(client, COMPLAINTS, ANONYMOUS).json()
    case = services.followup_case(filed["receipt_code"], PASSPHRASE)
    services.case_step(case=case, step="acknowledge", acting_user=chair)
    case = services.case_step(
        case=case, step="notify_agency", acting_user=chair, confirm_verbatim="Nothing identifying."
    )
    notice = case.notices.get(template="allegations")
    assert notice.status == Notice.Status.TO_DELIVER  # named only: no address to email
    login = {"receipt_code": filed["receipt_code"], "passphrase": PASSPHRASE}
    before = post(client, FOLLOWUP, login).json()
    assert before["state_label"] == "The respondent is being notified"
    assert not any("has been notified" in n["body"] for n in before["notices"])
    page = client.post(f"/{csec_guild.slug}/complain/follow-up/", login, follow=True)
    assert "The respondent is being notified" in page.content.decode()
    assert "has been notified" not in page.content.decode()

    services.notice_delivery_record(
        case=case, notice_id=notice.pk, means="post", on=timezone.localdate(), acting_user=chair
    )
    after = post(client, FOLLOWUP, login).json()
    assert after["state_label"] == "Agency notified"
    assert any("has been notified" in n["body"] for n in after["notices"])
    page = client.get(f"/{csec_guild.slug}/complain/follow-up/").content.decode()
    assert "has been notified" in page and "The respondent is being notified" not in page
