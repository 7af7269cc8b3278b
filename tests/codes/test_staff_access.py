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
    """(method, url, what an editor gets): every staff page and action on the Guild's draft."""
    p = draft.provisions.get(citation="1.2")
    kw = {"org": "guild", "pk": draft.pk}
    return [
        ("get", reverse("codes_staff:versions", kwargs={"org": "guild"}), 200),
        # No data: the forms say why, and nothing changes.
        ("post", reverse("codes_staff:versions", kwargs={"org": "guild"}), 400),
        ("post", reverse("codes_staff:settings", kwargs={"org": "guild"}), 400),
        ("post", reverse("codes_staff:import_confirm", kwargs={"org": "guild"}), 302),
        ("get", reverse("codes_staff:version", kwargs=kw), 200),
        ("get", reverse("codes_staff:provision", kwargs={**kw, "ppk": p.pk}), 200),
        ("post", reverse("codes_staff:move", kwargs={**kw, "ppk": p.pk}), 302),
        ("post", reverse("codes_staff:merge", kwargs={**kw, "ppk": p.pk}), 302),
        (
            "post",
            reverse("codes_staff:split", kwargs={**kw, "ppk": p.pk}),
            400,
        ),  # no data: the form says why
        ("post", reverse("codes_staff:publish", kwargs=kw), 302),
        (
            "post",
            reverse("codes_staff:delete", kwargs=kw),
            302,
        ),  # refused once published: back with a message
    ]


@pytest.mark.parametrize("persona", list(EDITORS))
def test_only_the_bodys_administrators_and_staff_reach_its_code_pages(
    client, personas, draft, persona
):
    user = personas[persona]
    if user is not None:
        client.force_login(user)
    for method, url, editor_status in _pages(draft):
        response = getattr(client, method)(url)
        if user is None:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        elif EDITORS[persona]:
            assert response.status_code == editor_status, url
        else:
            assert response.status_code == 403, url
    draft.refresh_from_db()
    # Editors' actions took effect (published, so the delete was refused); nobody else changed a thing.
    assert draft.is_published is EDITORS[persona]


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


def test_a_body_administrator_signs_in_through_the_form_and_reaches_the_staff_pages(
    client, personas, draft
):
    personas["body_admin"].set_password("correct horse battery staple")
    personas["body_admin"].save()
    staff_url = reverse("codes_staff:versions", kwargs={"org": "guild"})
    login = client.get(staff_url, follow=True)
    assert "Sign in" in login.content.decode()
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": "correct horse battery staple", "next": staff_url},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == staff_url
    html = response.content.decode()
    assert "GOE code" in html and "GOE register" in html and "Sign out" in html


def test_a_wrong_password_is_refused_with_a_summary(client, personas):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert "Please enter a correct username and password" in html
