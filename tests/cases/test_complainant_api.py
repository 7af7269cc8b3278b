"""The public follow-up API gives the complainant what their page gives (receipt code and
passphrase): the procedure's stages, documents checked by their content, and the proof of efforts
when the procedure asks for it. JSON only."""

from __future__ import annotations

import base64

import pytest

from ombuds.cases.models import Document
from ombuds.cases.services.complainant import COMPLAINANT_DOCUMENT
from tests.cases.conftest import PDF, file_case, take

PASSPHRASE = "correct horse battery staple"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
FOLLOWUP = "/api/v1/bodies/csec/complaints/follow-up"


def post(client, path: str, data: dict, **kwargs):
    return client.post(path, data, content_type="application/json", **kwargs)


@pytest.fixture
def anonymous(csec):
    case = file_case(
        csec, anonymous=True, complainant_name="", complainant_email="", passphrase=PASSPHRASE
    )
    return case, {"receipt_code": case.receipt_code, "passphrase": PASSPHRASE}


def doc(name: str, data: bytes) -> dict:
    return {"name": name, "content_base64": base64.b64encode(data).decode()}


def test_the_status_has_the_procedures_stages_and_who_handles_it(client, csec, anonymous):
    _case, door = anonymous
    response = post(client, FOLLOWUP, door)
    assert response.status_code == 200
    body = response.json()
    assert body["stage"] == "Received"
    assert body["stages"][0] == {"name": "Received", "status": "current"}
    assert [s["name"] for s in body["stages"]][-1] == "Closed"
    assert body["told"] == "Your complaint has arrived. We will acknowledge it within 7 days."
    assert body["handled_by"] == "the CSEC Ethics Committee Chair"
    assert body["proof_asked"] is False


def test_documents_are_sent_and_checked_by_their_content(client, csec, anonymous):
    case, door = anonymous
    sent = post(client, f"{FOLLOWUP}/documents", {**door, "documents": [doc("a.pdf", PDF)]})
    assert sent.status_code == 201
    assert sent.json()["documents"] == ["a.pdf"]
    stored = case.documents.get(kind=COMPLAINANT_DOCUMENT)
    assert stored.visibility == Document.Visibility.INTERNAL
    assert stored.uploaded_by_label == "anonymous complainant (API)"
    refused = post(client, f"{FOLLOWUP}/documents", {**door, "documents": [doc("b.pdf", EXE)]})
    assert refused.status_code == 400 and "b.pdf" in refused.json()["detail"]
    garbled = post(
        client,
        f"{FOLLOWUP}/documents",
        {**door, "documents": [{"name": "c.pdf", "content_base64": "not base64!"}]},
    )
    assert garbled.status_code == 400
    assert case.documents.filter(kind=COMPLAINANT_DOCUMENT).count() == 1


def test_the_proof_of_efforts_through_the_api(client, csec, anonymous):
    case, door = anonymous
    early = post(
        client, f"{FOLLOWUP}/documents", {**door, "proof": True, "documents": [doc("p.pdf", PDF)]}
    )
    assert early.status_code == 400
    case = take(case, "acknowledge", csec.chair)
    take(case, "request_efforts", csec.chair, message="Your letters.")
    assert post(client, FOLLOWUP, door).json()["proof_asked"] is True
    sent = post(
        client,
        f"{FOLLOWUP}/documents",
        {**door, "proof": True, "body": "My letters.", "documents": [doc("p.pdf", PDF)]},
    )
    assert sent.status_code == 201
    assert sent.json()["state"] == "chair_review" and sent.json()["proof_asked"] is False
    case.refresh_from_db()
    assert case.efforts_proven_at is not None
    assert case.documents.get(kind="efforts_proof").original_name == "p.pdf"


def test_the_documents_endpoint_takes_json_only_and_a_wrong_passphrase_is_404(
    client, csec, anonymous
):
    _case, door = anonymous
    form = client.post(f"{FOLLOWUP}/documents", {**door, "documents": "x"})
    assert form.status_code == 415
    wrong = post(
        client,
        f"{FOLLOWUP}/documents",
        {**door, "passphrase": "not the phrase", "documents": [doc("a.pdf", PDF)]},
    )
    assert wrong.status_code == 404


def test_the_schema_lists_the_documents_endpoint(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/bodies/{org}/complaints/follow-up/documents"]
