"""A case in the admin shows where it is, and the link to its staff page; never who complained
or what they wrote (the staff page decides who may read that)."""

from __future__ import annotations

import pytest

from tests.cases.conftest import file_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    return user


def test_a_case_in_the_admin_shows_its_place_not_the_complainant(client, root, espcc):
    case = file_case(espcc)
    response = client.get(f"/admin/cases/case/{case.pk}/change/")
    page = response.content.decode()
    assert response.status_code == 200
    assert case.reference in page and "open the case" in page
    for secret in ("Pat Complainant", "pat@example.org", "kept my support payment"):
        assert secret not in page
