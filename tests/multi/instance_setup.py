"""Run as a program with an instance's environment (`python -m tests.multi.instance_setup`): the
few rows the two-process test needs in a freshly migrated database, through Ombuds' own services.
Prints what the test uses, as JSON: a staff API token and a signed-in staff session."""

from __future__ import annotations

import json

import django


def main() -> None:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from ombuds.bodies.models import BodyRole, Organization
    from ombuds.cases.models import BodyProcedure
    from ombuds.register.models import Person
    from ombuds.register.tokens import token_create

    body = Organization.objects.create(slug="guild", name="Guild of Examples", acronym="GOE")
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    Person.objects.create(organization=body, given_name="Ada", family_name="Novak")
    staff = get_user_model().objects.create_user("sam", "sam@example.org", "pw-not-used")
    BodyRole.objects.create(user=staff, organization=body, role="staff")
    chair = get_user_model().objects.create_user("cora", "cora@example.org", "pw-not-used")
    BodyRole.objects.create(user=chair, organization=body, role="ethics_chair")
    _token, secret = token_create(user=staff, organization=body, name="two machines")
    browser = Client()
    browser.force_login(chair)  # a session row in the shared database, valid on every process
    print(json.dumps({"token": secret, "session": browser.cookies["sessionid"].value}))


if __name__ == "__main__":
    main()
