"""Encryption at rest (issue 12): the database holds no plaintext of a complainant's identity,
narrative, messages, notices or a second-factor seed; the disk no plaintext of an uploaded file;
everything reads back through the application, before and after a key rotation; the admin never
shows a seed."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from django.core.exceptions import FieldError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ombuds.bodies import keys
from ombuds.bodies.models import BodyKey, FileKey
from ombuds.cases import services
from ombuds.cases.models import Allegation, AllegationRevision, Case, Message, Notice
from ombuds.core import crypto
from tests.cases.conftest import PDF, file_case

pytestmark = pytest.mark.django_db

NAME = "Zelda Quartermaine"
NARRATIVE = "The coach Ottoline kept my support payment for three months."
MESSAGE = "Ottoline phoned me again on Tuesday evening."
FILE_BYTES = PDF.replace(b"<< >>", b"<< /Secret (Quartermaine-evidence) >>", 1)


def raw_row(table: str, pk: int) -> str:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {qn(table)} WHERE id = %s", [pk])
        return repr(cursor.fetchone())


def file_on_disk(name: str) -> Path:
    return Path(default_storage.path(name))


def filed(csec) -> Case:
    return file_case(
        csec,
        complainant_name=NAME,
        complainant_email="zelda.q@example.org",
        complainant_phone="+44 7700 900123",
        what_happened=NARRATIVE,
        outcome_sought="An apology from Ottoline.",
    )


def test_the_database_holds_no_plaintext_of_the_complainant_and_the_app_reads_it_back(csec):
    case = filed(csec)
    message = services.message_post(
        case=case,
        audience=Message.Audience.INTERNAL,
        body=MESSAGE,
        acting_user=csec.people["ethics_chair"],
    )
    row = raw_row(Case._meta.db_table, case.pk)
    for secret in (NAME, "zelda.q@example.org", "900123", "Ottoline", "support payment"):
        assert secret not in row
    assert case.reference in row  # what is not secret stays searchable
    assert "Ottoline" not in raw_row(Message._meta.db_table, message.pk)
    # Allegation 1 starts as the complainant's own words: sealed like the narrative, and its
    # revisions too.
    allegation = case.allegations.get(position=1)
    assert "Ottoline" not in raw_row(Allegation._meta.db_table, allegation.pk)
    assert Allegation.objects.get(pk=allegation.pk).summary == NARRATIVE
    services.allegation_edit(
        case=case,
        allegation=allegation,
        text="The agency kept a support payment for three months.",
        provisions=[],
        expected_version=Case.objects.get(pk=case.pk).version,
        acting_user=csec.people["ethics_chair"],
    )
    revision = AllegationRevision.objects.get(allegation=allegation)
    assert "Ottoline" not in raw_row(AllegationRevision._meta.db_table, revision.pk)
    assert revision.old_summary == NARRATIVE
    for notice in Notice.objects.filter(case=case):
        assert "enc1:" in raw_row(Notice._meta.db_table, notice.pk)
        assert notice.subject and "enc1:" not in notice.subject

    again = Case.objects.get(pk=case.pk)
    assert (again.complainant_name, again.what_happened) == (NAME, NARRATIVE)
    assert again.complainant_phone == "+44 7700 900123"
    assert Message.objects.get(pk=message.pk).body == MESSAGE
    assert Case.objects.values_list("complainant_email", flat=True).get(pk=case.pk) == (
        "zelda.q@example.org"
    )


def test_a_sealed_value_copied_into_another_column_does_not_open(csec):
    case = filed(csec)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn('cases_case')} SET {qn('outcome_sought')} = {qn('what_happened')}"
            " WHERE id = %s",
            [case.pk],
        )
    with pytest.raises(crypto.DecryptionFailed):
        Case.objects.get(pk=case.pk)


def test_encrypted_columns_refuse_searches_and_seal_bulk_updates(csec):
    case = filed(csec)
    with pytest.raises(FieldError):
        list(Case.objects.filter(complainant_name__icontains="Zelda"))
    with pytest.raises(FieldError, match="encrypted"):
        list(Case.objects.filter(complainant_name="Zelda Quartermaine"))
    assert Case.objects.filter(complainant_phone="").count() == 0
    Case.objects.filter(pk=case.pk).update(what_happened="set in bulk")  # no row: the site key
    assert "set in bulk" not in raw_row(Case._meta.db_table, case.pk)
    assert Case.objects.get(pk=case.pk).what_happened == "set in bulk"
    Case.objects.filter(pk=case.pk).update(outcome_sought="")  # emptying is allowed (a purge)
    assert Case.objects.get(pk=case.pk).outcome_sought == ""


def test_an_uploaded_file_is_ciphertext_on_disk_mode_0600_and_opens_through_the_app(csec):
    case = filed(csec)
    document = services.document_add(
        case=case,
        name="evidence.pdf",
        data=FILE_BYTES,
        kind="evidence",
        acting_user=csec.people["ethics_chair"],
    )
    on_disk = file_on_disk(document.file.name)
    raw = on_disk.read_bytes()
    assert b"Quartermaine-evidence" not in raw and b"%PDF" not in raw
    assert stat.S_IMODE(os.stat(on_disk).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(on_disk.parent).st_mode) == 0o700
    with document.file.open("rb") as f:
        assert f.read() == FILE_BYTES
    assert FileKey.objects.get(name=document.file.name).body_key.organization == csec.org


def test_destroying_a_files_key_makes_every_copy_unreadable(csec):
    name = default_storage.save(f"cases/{csec.org.slug}/X/shred", ContentFile(b"x"))
    copy = file_on_disk(name).read_bytes()
    assert crypto.destroy_file_key(name) is True
    with pytest.raises(crypto.DecryptionFailed, match="key was destroyed"):
        default_storage.open(name)
    assert file_on_disk(name).read_bytes() == copy  # the bytes are there; nobody can read them


def test_a_file_and_a_value_sealed_before_a_rotation_open_after_it(csec):
    case = filed(csec)
    document = services.document_add(
        case=case,
        name="e.pdf",
        data=FILE_BYTES,
        kind="evidence",
        acting_user=csec.people["ethics_chair"],
    )
    user = csec.people["ethics_chair"]
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    old = set(BodyKey.objects.values_list("pk", flat=True))
    raw_before = raw_row(Case._meta.db_table, case.pk)
    seed_before = raw_row(TOTPDevice._meta.db_table, device.pk)

    done = keys.keys_rotate(grace=dt.timedelta(0))

    assert done.new_keys >= 1 and done.values_resealed >= 2 and done.file_keys_rewrapped == 1
    assert not BodyKey.objects.filter(pk__in=old).exists()  # retired, unused, deleted
    assert raw_row(Case._meta.db_table, case.pk) != raw_before
    keys.KEYRING.forget()
    assert Case.objects.get(pk=case.pk).what_happened == NARRATIVE
    with default_storage.open(document.file.name) as f:
        assert f.read() == FILE_BYTES
    assert raw_row(TOTPDevice._meta.db_table, device.pk) != seed_before
    assert TOTPDevice.objects.get(pk=device.pk).key == device.key


def test_a_rotation_interrupted_resumes_without_a_new_key_and_keeps_a_used_key(csec):
    case = filed(csec)
    assert keys.keys_start_rotation() >= 1  # interrupted right after the new keys were made
    current = set(BodyKey.objects.filter(retired_at__isnull=True).values_list("pk", flat=True))
    kept = keys.keys_rotate()  # the retired keys are too recent to delete
    assert kept.new_keys == 0 and kept.values_resealed >= 2 and kept.keys_kept
    assert set(BodyKey.objects.filter(retired_at__isnull=True).values_list("pk", flat=True)) == (
        current
    )
    done = keys.keys_rotate(grace=dt.timedelta(0))
    assert done.new_keys == 0 and done.values_resealed == 0 and done.keys_deleted >= 1
    assert not BodyKey.objects.filter(retired_at__isnull=False).exists()
    assert Case.objects.get(pk=case.pk).complainant_name == NAME


def test_keys_command_reports_and_rotates(csec, capsys):
    filed(csec)
    call_command("keys", "status")
    assert "current" in capsys.readouterr().out
    call_command("keys", "rotate", "--grace-minutes", "0")
    out = capsys.readouterr().out
    assert "new keys" in out and "retired keys deleted" in out


def test_a_totp_seed_is_sealed_in_its_row_and_still_verifies(django_user_model):
    user = django_user_model.objects.create_user("seeded", "s@example.org", "pw")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    seed = device.key
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM otp_totp_totpdevice WHERE id = %s", [device.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith("~") and seed not in stored and len(stored) <= 80
    assert device.key == seed  # the saved instance keeps working
    loaded = TOTPDevice.objects.get(pk=device.pk)
    assert loaded.key == seed
    assert loaded.verify_token(totp(loaded.bin_key))


def test_the_admin_never_shows_a_totp_seed(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    device = TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    client.force_login(root)
    for url in (
        "/admin/otp_totp/totpdevice/",
        f"/admin/otp_totp/totpdevice/{device.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert device.key not in response.content.decode()
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code in (302, 404)
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code in (302, 404)


def test_files_stored_before_encryption_are_encrypted_by_a_rotation(csec, settings):
    plain = Path(settings.MEDIA_ROOT) / "cases" / csec.org.slug / "OLD-1" / "old"
    plain.parent.mkdir(parents=True)
    plain.write_bytes(FILE_BYTES)
    name = f"cases/{csec.org.slug}/OLD-1/old"
    with default_storage.open(name) as f:
        assert f.read() == FILE_BYTES  # read as it is until then
    assert keys.keys_rotate(grace=dt.timedelta(0)).files_encrypted == 1
    assert b"Quartermaine-evidence" not in plain.read_bytes()
    with default_storage.open(name) as f:
        assert f.read() == FILE_BYTES
    assert keys.keys_rotate(grace=dt.timedelta(0)).files_encrypted == 0


def test_a_plaintext_file_where_a_key_is_kept_is_refused(csec):
    name = default_storage.save(f"cases/{csec.org.slug}/X/swap", ContentFile(FILE_BYTES))
    file_on_disk(name).write_bytes(FILE_BYTES)  # someone with the disk swaps in their own bytes
    with pytest.raises(crypto.DecryptionFailed, match="not an encrypted file"):
        default_storage.open(name)


def test_the_data_migration_seals_rows_written_before_encryption(csec, django_user_model):
    from ombuds.accounts.totp_seeds import seal_existing
    from ombuds.core.encrypted import encrypt_existing

    case = filed(csec)
    user = django_user_model.objects.create_user("old2fa", "o@example.org", "pw")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:  # as the rows were before the migration: in clear
        cursor.execute(
            f"UPDATE {qn('cases_case')} SET {qn('complainant_name')} = %s,"
            f" {qn('what_happened')} = %s WHERE id = %s",
            [NAME, NARRATIVE, case.pk],
        )
        cursor.execute(
            "UPDATE otp_totp_totpdevice SET key = %s WHERE id = %s", ["ab" * 20, device.pk]
        )
    assert NAME in raw_row("cases_case", case.pk)
    assert Case.objects.get(pk=case.pk).complainant_name == NAME  # read as it is meanwhile

    assert encrypt_existing(Case) == 2
    assert seal_existing(TOTPDevice) == 1

    assert NAME not in raw_row("cases_case", case.pk)
    assert "ab" * 20 not in raw_row("otp_totp_totpdevice", device.pk)
    again = Case.objects.get(pk=case.pk)
    assert (again.complainant_name, again.what_happened) == (NAME, NARRATIVE)
    assert TOTPDevice.objects.get(pk=device.pk).key == "ab" * 20
    assert encrypt_existing(Case) == 0  # run again: nothing left
