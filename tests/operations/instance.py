"""An instance of Ombuds for the backup tests, driven in a process of its own (its own DATABASE_URL
and OMBUDS_DATA_DIR): `python -m tests.operations.instance seed|inspect`.

`seed` loads a small register through the CSV import and files a complaint with a PDF attached, as
the public form does; `inspect` prints, as JSON, what a restore must bring back: the audit chain's
verdict and head, the rows of the main tables, and each case document's bytes' SHA-256 read through
the storage."""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

PEOPLE = "external_id,given_name,family_name,email\nP-1,Imre,Talbot,imre@example.org\nP-2,Odile,Brandt,odile@example.org\n"
CREDENTIALS = (
    "external_id,number,program,holder,status,issued_on,expires_on\n"
    "C-1,CPX-1,cpx,P-1,active,2023-01-10,2031-01-09\n"
    "C-2,CPX-2,cpx,P-2,candidate,,\n"
)
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n" + bytes(range(256)) * 8


def seed() -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from ombuds.bodies.models import Organization
    from ombuds.register.models import Agency, CredentialProgram, Membership, MembershipType
    from tests.cases.conftest import Body, _body, file_case
    from tests.conftest import small_code

    body: Body = _body(
        "csec", "Child Support Council", "CSEC", "csec-article-5", small_code(),
        get_user_model(), "1.1(a)",
    )  # fmt: skip
    org = Organization.objects.get(pk=body.org.pk)
    CredentialProgram.objects.create(organization=org, code="cpx", name="Practitioner")
    with tempfile.TemporaryDirectory() as folder:
        for name, text in (("people.csv", PEOPLE), ("credentials.csv", CREDENTIALS)):
            path = Path(folder) / name
            path.write_text(text, encoding="utf-8")
            call_command("register", "import", str(path), "--org", "csec", stdout=sys.stderr)
    kind = MembershipType.objects.create(
        organization=org, code="agency", name="Member agency", kind="organization"
    )
    body.member_agency = Agency.objects.create(organization=org, legal_name="Faithful Support LLC")
    Membership.objects.create(
        organization=org, membership_type=kind, agency=body.member_agency, number="CSEC-017",
        status="active", start_date="2020-07-01", renewal_date="2031-07-01",
    )  # fmt: skip
    file_case(body, files=[("evidence.pdf", PDF)])
    return inspect()


def inspect() -> dict:
    from django.core.files.storage import default_storage

    from ombuds.audit.models import ChainHead, Event
    from ombuds.audit.services import verify
    from ombuds.cases.models import Case, Document
    from ombuds.register.models import Credential, Person

    documents = {}
    for document in Document.objects.order_by("pk"):
        with default_storage.open(document.file.name, "rb") as f:
            documents[document.file.name] = hashlib.sha256(f.read()).hexdigest()
    head = ChainHead.objects.filter(key=1).first()
    return {
        "verify": str(verify()),
        "head": [head.last_seq, head.last_hash] if head else None,
        "counts": {
            "events": Event.objects.count(),
            "people": Person.objects.count(),
            "credentials": Credential.objects.count(),
            "cases": Case.objects.count(),
            "documents": len(documents),
        },
        "documents": documents,
    }


def named() -> dict:
    """A body and a named complainant's closed case with their file (tests/cases/test_erasure.py),
    and where the complainant is found (`personal`)."""
    from django.contrib.auth import get_user_model

    from ombuds.register.models import Agency
    from tests.cases.conftest import _body
    from tests.cases.test_erasure import _closed
    from tests.conftest import small_code

    body = _body(
        "csec", "Child Support Council", "CSEC", "csec-article-5", small_code(),
        get_user_model(), "1.1(a)",
    )  # fmt: skip
    body.non_member_agency = Agency.objects.create(
        organization=body.org, legal_name="Rogue Collections Inc"
    )
    case = _closed(body)
    return {"reference": case.reference, "personal": personal()}


def personal() -> list[str]:
    """Where the named complainant's name, email or file name is in this instance: any table as
    stored (opened as tests/test_no_personal_data_left.py opens it), the engine's dump, any file in
    the data folder, and every value of every model read through the application (decrypted)."""
    from django.apps import apps

    from tests.cases.test_erasure import EMAIL, FILE_NAME, NAME
    from tests.test_no_personal_data_left import _engine_dump, _files, _opened, _rows

    places = {f"table {t}": text for t, text in _rows().items()}
    places["engine dump"] = _engine_dump()
    places |= {f"file {Path(p).name}": data for p, data in _files().items()}
    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields]
        values = model._base_manager.values_list(*names)
        places[f"model {model._meta.label}"] = repr(list(values)).encode()
    found = []
    for place, blob in places.items():
        opened = _opened(blob)
        for needle in (NAME, EMAIL, FILE_NAME):
            if any(needle.encode() in text for text in opened):
                found.append(f"{needle} in {place}")
    return found


if __name__ == "__main__":
    import django

    django.setup()
    actions = {"seed": seed, "inspect": inspect, "named": named, "personal": personal}
    print(json.dumps(actions[sys.argv[1]]()))
