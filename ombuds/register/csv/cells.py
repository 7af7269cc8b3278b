"""Reading and checking one row's cells: each value is read once with its check, and a failed
check is reported against its line and column."""

from __future__ import annotations

import datetime as dt
import json
import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import models

from ombuds.register.csv.reading import Row, RowError
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.names import unsafe_character
from ombuds.register.services.numbers import check_number

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_email_valid = EmailValidator()
_url_valid = URLValidator(schemes=["http", "https"])


def field_max_length(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


class Cells:
    """One row's values, each read once with its check; a failed check records the row error."""

    def __init__(self, row: Row, errors: list[RowError]) -> None:
        self.line = row.line
        self.cells = row.cells
        self._errors = errors
        self.ok = True

    def has(self, column: str) -> bool:
        return column in self.cells

    def error(self, column: str | None, reason: str) -> None:
        self._errors.append(RowError(self.line, column, reason))
        self.ok = False

    def text(
        self,
        column: str,
        *,
        max_length: int | None = None,
        required: bool = False,
        name: bool = False,
    ) -> str:
        """The cell's text; a `name` (shown, searched, compared) may hold no control character."""
        value = self.cells.get(column, "")
        reason = unsafe_character(value) if name else None
        if required and not value:
            self.error(column, "a value is required")
        elif max_length is not None and len(value) > max_length:
            self.error(column, f"{len(value)} characters; at most {max_length}")
        elif reason:
            self.error(column, reason)
        return value

    def external_id(self, column: str = "external_id") -> str:
        return self.text(column, max_length=100, required=True)

    def date(self, column: str) -> dt.date | None:
        value = self.cells.get(column, "")
        if not value:
            return None
        if _ISO_DATE.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.error(column, f"{value!r} is not a date; write it as YYYY-MM-DD")
        return None

    def choice(self, column: str, allowed: list[str], what: str) -> str:
        value = self.cells.get(column, "").lower()
        if not value:
            self.error(column, "a value is required")
        elif value not in allowed:
            self.error(column, f"unknown {what} {value!r}; one of: {', '.join(allowed)}")
        return value

    def email(self, column: str, model: type[models.Model]) -> str:
        value = self.text(column, max_length=field_max_length(model, column))
        if value:
            try:
                _email_valid(value)
            except ValidationError:
                self.error(column, f"{value!r} is not an email address")
        return value

    def url(self, column: str, model: type[models.Model]) -> str:
        value = self.text(column, max_length=field_max_length(model, column))
        if value and "://" not in value:
            value = f"https://{value}"  # as the staff form does
        if value:
            try:
                _url_valid(value)
            except ValidationError:
                self.error(column, f"{value!r} is not a web address")
        return value

    def country(self, column: str = "country") -> str:
        value = self.cells.get(column, "")
        if value and not _COUNTRY.fullmatch(value):
            self.error(column, f"{value!r} is not a two-letter country code (ISO 3166, e.g. US)")
        return value.upper()


def normalise_number(number: str) -> str:
    """Credential numbers are stored upper-case without spaces; verification relies on it."""
    return "".join(number.split()).upper()


# A number is part of public addresses (/register/<number>/, /register/members/<number>/): letters,
# digits, '.', '-' and '_', starting with a letter or a digit. Credential numbers are checked by
# services.check_number (after upper-casing and removing spaces); membership numbers keep their case.
_MEMBERSHIP_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}")


def check_new_number(cells: Cells, number: str, noun: str) -> None:
    """The number of a new record: refused unless it can stand in a public address. Only new
    records are checked: an existing record's number cannot change, and refusing its row would only
    stop a register entered before the rule from importing back. Too long or empty is reported
    already."""
    if not number or len(number) > 50:
        return
    if noun == "credential":
        try:
            check_number(number)
        except TransitionRefused as exc:
            cells.error("number", str(exc))
    elif not _MEMBERSHIP_NUMBER.fullmatch(number):
        cells.error(
            "number",
            f"membership number {number!r} must be letters, digits, '.', '-' or '_', "
            "starting with a letter or digit",
        )


def split_plain(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _read_json_list(cells: Cells, column: str) -> list | None:
    try:
        data = json.loads(cells.cells[column])
    except ValueError as exc:
        cells.error(column, f"starts with [ but is not a JSON list: {exc.msg}")
        return None
    if not isinstance(data, list):
        cells.error(column, "not a JSON list")
        return None
    return data


def trade_names(cells: Cells) -> list[str]:
    value = cells.cells.get("trade_names", "")
    if not value.startswith("["):
        return _safe_names(cells, split_plain(value))
    data = _read_json_list(cells, "trade_names")
    if data is None:
        return []
    if not all(isinstance(item, str) and item.strip() for item in data):
        cells.error("trade_names", "the JSON list must hold non-empty names")
        return data
    return _safe_names(cells, data)


def _safe_names(cells: Cells, names: list[str]) -> list[str]:
    for item in names:
        reason = unsafe_character(item)
        if reason:
            cells.error("trade_names", f"“{item}” {reason}")
            break
    return names


def registration_numbers(cells: Cells) -> list[dict[str, str]]:
    column = "registration_numbers"
    value = cells.cells.get(column, "")
    if value.startswith("["):
        data = _read_json_list(cells, column)
        if data is None:
            return []
        for item in data:
            if (
                not isinstance(item, dict)
                or set(item) != {"authority", "number"}
                or not all(isinstance(v, str) for v in item.values())
                or not item["number"].strip()
            ):
                cells.error(
                    column, 'each entry of the JSON list must be {"authority": …, "number": …}'
                )
                return []
        return data
    numbers = []
    for part in split_plain(value):
        authority, colon, number = part.rpartition(":")
        if not colon:
            authority, number = "", part
        if not number.strip():
            cells.error(column, f"{part!r} has no number; write 'Authority: NUMBER'")
            return []
        numbers.append({"authority": authority.strip(), "number": number.strip()})
    return numbers
