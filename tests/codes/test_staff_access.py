"""Who may reach the staff pages of a body's codes: one table, every persona, every page."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# persona -> may they edit the Guild's codes?
EDITORS = {
    "public": False,
    "signed_in_no_role": False,
    "committee_member": False,
    "other_body_admin": False,
    "body_staff": True,
    "body_admin": True,
    "superuser": True,
}


def _pages(draft):
    p = draft.provisions.get(citation="1.2")
    kw = {"org": "guild", "pk": draft.pk}
    return [
        ("get", reverse("codes_staff:versions", kwargs={"org": "guild"})),
        ("get", reverse("codes_staff:version", kwargs=kw)),
        ("get", reverse("codes_staff:provision", kwargs={**kw, "ppk": p.pk})),
        ("post", reverse("codes_staff:move", kwargs={**kw, "ppk": p.pk})),
        ("post", reverse("codes_staff:merge", kwargs={**kw, "ppk": p.pk})),
        ("post", reverse("codes_staff:split", kwargs={**kw, "ppk": p.pk})),
        ("post", reverse("codes_staff:publish", kwargs=kw)),
        ("post", reverse("codes_staff:delete", kwargs=kw)),
    ]


@pytest.mark.parametrize("persona", list(EDITORS))
def test_only_the_bodys_administrators_and_staff_reach_its_code_pages(
    client, personas, draft, persona
):
    user = personas[persona]
    if user is not None:
        client.force_login(user)
    for method, url in _pages(draft):
        if EDITORS[persona] and method == "post":
            continue  # what editors' actions do is tested in test_staff_pages
        response = getattr(client, method)(url)
        if user is None:
            assert response.status_code == 302 and "/admin/login/" in response["Location"], url
        elif EDITORS[persona]:
            assert response.status_code == 200, url
        else:
            assert response.status_code == 403, url
    draft.refresh_from_db()
    assert not draft.is_published  # nobody without the role changed anything


def test_a_body_admin_cannot_reach_another_bodys_version_through_its_own_slug(
    client, personas, draft, other_body
):
    client.force_login(personas["other_body_admin"])
    url = reverse("codes_staff:version", kwargs={"org": "other", "pk": draft.pk})
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("codes_staff:publish", kwargs={"org": "other", "pk": draft.pk})
        ).status_code
        == 404
    )
