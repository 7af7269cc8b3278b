"""The register in a browser: the public checks a suspended credential and sees its sanction; staff
import a CSV file with errors and are told which rows, before anything is written."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ombuds.register.models import Person, Sanction

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_public_finds_a_suspended_credential_and_its_public_sanction(page, live_server, demo):
    sanction = (
        Sanction.objects.filter(
            publication="public", credential__status="suspended", source="historical"
        )
        .select_related("credential__holder")
        .first()
    )
    holder = sanction.credential.holder
    page.goto(f"{live_server.url}/espcc/")
    page.get_by_role("link", name="Search the public register").click()
    field = page.get_by_label(re.compile("Name, credential number", re.I))
    field.fill(holder.family_name)
    field.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(
        re.compile(r"\d+ (entry|entries)|match", re.I)
    )
    row = page.get_by_role("row").filter(has_text=sanction.credential.number)
    row.get_by_role("link", name=holder.full_name).click()

    expect(page).to_have_url(f"{live_server.url}/espcc/register/{sanction.credential.number}/")
    expect(page.get_by_text("Suspended").first).to_be_visible()
    sanctions = page.get_by_role("region", name="Public sanctions")
    expect(sanctions).to_contain_text("Suspension")
    expect(sanctions).to_contain_text("failing to cooperate")
    # The cited provision leads to its permalink in the code.
    sanctions.get_by_role("link", name="CESP 2.4").click()
    expect(page).to_have_url(re.compile(r"/espcc/code/v/v1/2\.4$"))
    cited = sanction.provisions.get(citation="2.4")
    expect(page.locator("blockquote.full-text")).to_contain_text(cited.full_text)


def test_staff_import_a_csv_with_errors_and_see_every_bad_row(page, live_server, demo):
    username, password = demo.username, demo.password
    page.goto(f"{live_server.url}/accounts/login/?next=/staff/espcc/register/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ESPCC register")

    page.get_by_role("link", name="Import a CSV file").click()
    people_before = Person.objects.count()
    page.get_by_label("CSV file").set_input_files(
        files=[
            {
                "name": "people.csv",
                "mimeType": "text/csv",
                "buffer": b"external_id,given_name,family_name,email\nN-1,Vera,Santos,vera@example.org\n"
                b"N-2,,Torres,\nN-3,Sami,Weiss,not-an-email\n",
            }
        ]
    )
    page.get_by_role("button", name="Check the file").click()
    # The check is queued for the task worker; the page says so and updates itself.
    expect(page.get_by_role("status")).to_contain_text("Waiting for the task worker")
    _run_worker()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was imported")
    expect(alert.get_by_role("row")).to_have_count(3)  # the header and the two bad lines
    expect(alert).to_contain_text("given_name")
    expect(alert).to_contain_text("email")
    assert Person.objects.count() == people_before

    # Corrected, the file is checked, confirmed and imported, the page following each step.
    page.get_by_label("CSV file").set_input_files(
        files=[
            {
                "name": "people-fixed.csv",
                "mimeType": "text/csv",
                "buffer": b"external_id,given_name,family_name,email\nN-1,Vera,Santos,vera@example.org\n"
                b"N-2,Ana,Torres,\nN-3,Sami,Weiss,sami@example.org\n",
            }
        ]
    )
    page.get_by_role("button", name="Check the file").click()
    _run_worker()
    expect(page.get_by_role("status")).to_contain_text("The file is ready to import")
    page.get_by_role("button", name="Import 3 people rows").click()
    expect(page.get_by_role("status")).to_contain_text("Importing")
    _run_worker()
    expect(page.get_by_role("status")).to_contain_text("people: 3 rows: 3 created")
    assert Person.objects.count() == people_before + 3


def _run_worker() -> None:
    """What `ombuds db_worker` does beside the site: take the queued tasks, here all at once."""
    from django.core.management import call_command

    call_command("db_worker", "--batch", "--no-startup-delay", "-v0")
