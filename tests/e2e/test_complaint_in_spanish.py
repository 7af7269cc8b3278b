"""A complaint in Spanish, on a phone: a client of a CSEC agency (CSEC offers English and Spanish)
switches the site to Spanish, complains anonymously, keeps the receipt code and follows the
complaint with it. Every word they read on the way is Spanish; the code's own words stay as
written."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ombuds.cases.models import Case
from ombuds.register.models import Agency

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSPHRASE = "la tetera azul en el fuego"
RECEIPT = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")
ENGLISH = re.compile(r"Make a complaint|Send the complaint|Your receipt code|Follow your complaint")


def _type(page, label, text: str) -> None:
    # The label, with or without "(opcional)" after it.
    field = page.get_by_label(re.compile(rf"^{re.escape(label)}( \(opcional\))?$"))
    field.focus()
    page.keyboard.type(text)


def test_a_complaint_filed_and_followed_in_spanish_on_a_phone(phone, live_server, demo):
    page = phone
    agency = Agency.objects.filter(organization__slug="csec").order_by("external_id").first()

    page.goto(f"{live_server.url}/csec/complain/")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
    expect(page).to_have_url(f"{live_server.url}/csec/complain/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Presentar una queja ante CSEC")
    assert not ENGLISH.search(page.locator("main").inner_text())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # A first try with nothing filled in: the problems, in Spanish, take the focus.
    page.get_by_role("button", name="Enviar la queja").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Cuente qué ocurrió.")
    assert page.title().startswith("Error:")

    page.get_by_role("radio", name="Quiero permanecer en el anonimato").check()
    _type(page, "Elija una frase de acceso", PASSPHRASE)
    _type(page, "La frase de acceso otra vez", PASSPHRASE)
    page.get_by_role("group", name="Usted es").get_by_label("Particular").check()
    _type(page, "Su nombre (de la otra parte)", agency.trade_names[0])
    _type(page, "Qué ocurrió", "La agencia me cobró el doble de la comisión acordada por escrito.")
    page.get_by_role("button", name="Enviar la queja").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Hemos recibido su queja")
    receipt_region = page.get_by_role("region", name="Su código de recibo")
    receipt = receipt_region.locator("strong").first.inner_text().strip()
    assert RECEIPT.match(receipt), receipt
    case = Case.objects.get(receipt_code=receipt)
    assert case.anonymous and case.respondent_agency == agency
    receipt_region.get_by_label("He anotado mi código de recibo").check()

    page.get_by_role("link", name="seguir su queja").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Siga su queja")
    _type(page, "Código de recibo", receipt)
    _type(page, "Frase de acceso", PASSPHRASE)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Queja {case.reference}")
    _type(page, "Su mensaje", "Puedo enviar el contrato firmado.")
    page.get_by_role("button", name="Enviar el mensaje").click()
    expect(page.get_by_role("status")).to_contain_text("Su mensaje se ha enviado.")
    expect(page.get_by_role("region", name="Mensajes")).to_contain_text(
        "Puedo enviar el contrato firmado."
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
