"""Documents shared with the respondent are copies cleaned of metadata, under a neutral name; the
body keeps and downloads the original. The files are real ones, made here: a PDF with its author in
the document information and in XMP (pikepdf), a JPEG with EXIF, XMP and a comment, a PNG with text
chunks (Pillow), a Word document and an OpenDocument text with their properties (zip)."""

from __future__ import annotations

import io
import re
import zipfile

import pikepdf
import pytest
from django.urls import reverse
from PIL import Image, PngImagePlugin

from ombuds.cases import cleaning, services
from ombuds.cases.models import Case, Document
from tests.cases.conftest import file_case

NAME = "Pat Complainant"
XMP_PACKET = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    f'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>{NAME}</dc:creator>'
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def make_pdf(**save: object) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.docinfo["/Author"] = NAME
    pdf.docinfo["/Title"] = "What the job coaches told me"
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = [NAME]
        meta["dc:title"] = "What the job coaches told me"
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, **save)
    return out.getvalue()


def make_jpeg() -> bytes:
    image = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x013B] = NAME  # Artist
    exif[0x0112] = 6  # Orientation: turn 90° clockwise to show it
    out = io.BytesIO()
    image.save(
        out,
        "JPEG",
        exif=exif.tobytes(),
        comment=f"photo by {NAME}".encode(),
        xmp=XMP_PACKET.encode(),
    )
    return out.getvalue()


def make_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", NAME)
    info.add_itxt("Description", f"Taken by {NAME}")
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, "PNG", pnginfo=info)
    return out.getvalue()


def make_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as docx:
        docx.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        docx.writestr(
            "word/document.xml",
            '<w:document xmlns:w="urn:w"><w:body><w:p><w:r><w:t>The payment was kept.</w:t>'
            f'</w:r></w:p><w:ins w:id="1" w:author="{NAME}" w:date="2025-01-01T00:00:00Z"/>'
            "</w:body></w:document>",
        )
        docx.writestr(
            "word/comments.xml",
            f'<w:comments xmlns:w="urn:w"><w:comment w:id="0" w:author="{NAME}" w:initials="PC">'
            "<w:p><w:r><w:t>check this</w:t></w:r></w:p></w:comment></w:comments>",
        )
        docx.writestr(
            "docProps/core.xml",
            '<cp:coreProperties xmlns:cp="urn:cp" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:creator>{NAME}</dc:creator><cp:lastModifiedBy>{NAME}</cp:lastModifiedBy>"
            "</cp:coreProperties>",
        )
        docx.writestr(
            "docProps/app.xml", f"<Properties><Company>{NAME} Consulting</Company></Properties>"
        )
        docx.writestr("docProps/custom.xml", f"<Properties><Owner>{NAME}</Owner></Properties>")
    return out.getvalue()


def make_odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as odt:
        odt.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.text",
            compress_type=zipfile.ZIP_STORED,
        )
        odt.writestr(
            "content.xml",
            '<office:document-content xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<office:annotation><dc:creator>{NAME}</dc:creator></office:annotation>"
            "<text:p>The payment was kept.</text:p></office:document-content>",
        )
        odt.writestr(
            "meta.xml",
            f"<office:document-meta><office:meta><meta:initial-creator>{NAME}"
            "</meta:initial-creator></office:meta></office:document-meta>",
        )
    return out.getvalue()


def _no_name(data: bytes) -> None:
    for form in (NAME.encode(), NAME.encode("utf-16-be"), b"Complainant"):
        assert form not in data


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# --- the cleaning itself --------------------------------------------------------------------------


def test_a_pdf_loses_its_document_information_and_xmp():
    original = make_pdf()
    assert NAME.encode() in original
    cleaned = cleaning.clean(original)
    assert cleaned.extension == ".pdf"
    _no_name(cleaned.data)
    with pikepdf.open(io.BytesIO(cleaned.data)) as pdf:
        assert "/Metadata" not in pdf.Root
        assert "/Author" not in pdf.docinfo and "/Title" not in pdf.docinfo
        assert len(pdf.pages) == 1  # the content stays


def test_an_image_loses_exif_xmp_and_comments_with_its_orientation_applied():
    original = make_jpeg()
    assert NAME.encode() in original
    cleaned = cleaning.clean(original)
    assert cleaned.extension == ".jpg"
    _no_name(cleaned.data)
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert not image.getexif()
        assert "comment" not in image.info and "xmp" not in image.info
        assert image.size == (20, 40)  # turned as the camera said, since the tag is gone
    png = cleaning.clean(make_png())
    _no_name(png.data)
    with Image.open(io.BytesIO(png.data)) as image:
        assert image.size == (8, 8) and not image.text


def test_an_office_document_loses_its_properties_and_authors():
    original = make_docx()
    cleaned = cleaning.clean(original)
    assert cleaned.extension == ".docx"
    _no_name(cleaned.data)
    entries = _entries(cleaned.data)
    assert list(entries) == list(_entries(original))  # every part kept, in order
    assert b"The payment was kept." in entries["word/document.xml"]
    assert b"coreProperties" in entries["docProps/core.xml"]
    for name in entries:
        _no_name(entries[name])


def test_an_opendocument_text_loses_its_meta_and_keeps_its_mimetype_first():
    cleaned = cleaning.clean(make_odt())
    assert cleaned.extension == ".odt"
    with zipfile.ZipFile(io.BytesIO(cleaned.data)) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        for name in archive.namelist():
            _no_name(archive.read(name))


def test_plain_text_has_no_metadata_to_clean():
    assert cleaning.clean(b"Notes of the call.\n").data == b"Notes of the call.\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.4\n%%EOF\n", "could not be read to clean it"),
        (make_pdf(encryption=pikepdf.Encryption(owner="o", user="u")), "protected by a password"),
        (b"\x00\x01binary", "cannot be cleaned of its metadata"),
    ],
    ids=["damaged PDF", "PDF with a password", "unknown kind"],
)
def test_a_file_that_cannot_be_cleaned_is_refused(data, expected):
    with pytest.raises(cleaning.CleaningRefused) as refused:
        cleaning.clean(data)
    assert expected in str(refused.value)


# --- shared with the respondent -------------------------------------------------------------------


@pytest.fixture
def case(csec) -> Case:
    return file_case(csec, respondent_agency=csec.non_member_agency)


def _share(case: Case, user, name: str, data: bytes, visibility=Document.Visibility.RESPONDENT):
    return services.document_add(
        case=case, name=name, data=data, kind="evidence", visibility=visibility, acting_user=user
    )


def _drawn_at_random_removed(page: str, token: str) -> str:
    """The page less what is drawn at random: the CSRF token (64 letters and digits, new on each
    request) and the respondent's link token. A short word such as a first name can be in those by
    chance; in the rest of the page only if the page says it."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', page)
    return page.replace(token, "<token>")


def _download(client, url: str) -> tuple[bytes, str]:
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content), response["Content-Disposition"]


@pytest.mark.parametrize(
    ("name", "make", "neutral"),
    [
        ("Pat Complainant - statement.pdf", make_pdf, "document-1.pdf"),
        ("IMG_2041 Pat.jpg", make_jpeg, "document-1.jpg"),
        ("Pat's notes.docx", make_docx, "document-1.docx"),
    ],
)
def test_the_respondent_downloads_a_cleaned_copy_the_body_the_original(
    client, csec, case, name, make, neutral
):
    original = make()
    document = _share(case, csec.chair, name, original)
    token = services.respondent_link_issue(case)
    page = client.get(reverse("cases:respondent", kwargs={"token": token})).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page and f"/respond/{token}/" in page
    page = _drawn_at_random_removed(page, token)
    assert neutral in page and "Pat" not in page
    data, disposition = _download(
        client, reverse("cases:respondent_document", kwargs={"token": token, "doc": document.token})
    )
    _no_name(data)
    assert neutral in disposition and "Pat" not in disposition
    assert data != original and data[:4] == original[:4]
    # The body's people download the original, under its own name.
    client.force_login(csec.chair)
    data, disposition = _download(
        client,
        reverse(
            "cases_staff:document",
            kwargs={"org": "csec", "reference": case.reference, "token": document.token},
        ),
    )
    assert data == original
    assert "Pat" in disposition


def test_shared_documents_are_numbered_and_internal_ones_are_not_copied(csec, case):
    internal = _share(case, csec.chair, "internal.pdf", make_pdf(), Document.Visibility.INTERNAL)
    first = _share(case, csec.chair, "a.pdf", make_pdf(), Document.Visibility.PARTIES)
    second = _share(case, csec.chair, "b.png", make_png())
    assert not internal.shared_file and not internal.shared_name
    assert (first.shared_name, second.shared_name) == ("document-1.pdf", "document-2.png")


def test_a_file_that_cannot_be_cleaned_is_not_shared(csec, case):
    with pytest.raises(services.CaseRefused) as refused:
        _share(case, csec.chair, "scan.pdf", b"%PDF-1.4\n%%EOF\n")
    assert "scan.pdf is not shared with the respondent" in str(refused.value)
    assert not Document.objects.exists()
    # Kept for the body alone, it is taken.
    _share(case, csec.chair, "scan.pdf", b"%PDF-1.4\n%%EOF\n", Document.Visibility.INTERNAL)


def test_the_case_page_says_why_a_file_is_not_shared(client, csec, case):
    client.force_login(csec.chair)
    upload = io.BytesIO(b"%PDF-1.4\n%%EOF\n")
    upload.name = "scan.pdf"
    response = client.post(
        f"/staff/csec/cases/{case.reference}/",
        {
            "action": "document",
            "document-file": upload,
            "document-kind": "evidence",
            "document-visibility": "respondent",
        },
    )
    assert response.status_code == 400
    assert "is not shared with the respondent" in response.content.decode()
    assert not Document.objects.exists()


def test_the_respondents_own_upload_comes_back_to_them_as_it_was(client, case):
    original = make_pdf()
    services.respondent_answer(case=case, body="", files=[("my answer.pdf", original)])
    document = Document.objects.get(kind="answer")
    token = services.respondent_link_issue(case)
    data, disposition = _download(
        client, reverse("cases:respondent_document", kwargs={"token": token, "doc": document.token})
    )
    assert data == original and "answer.pdf" in disposition


def test_a_document_shared_before_copies_is_cleaned_when_downloaded(client, case):
    original = make_pdf()
    document = services.document_store(
        case, "old.pdf", original, kind="evidence", visibility="internal", user=None, label="x"
    )
    Document.objects.filter(pk=document.pk).update(visibility=Document.Visibility.RESPONDENT)
    token = services.respondent_link_issue(case)
    data, disposition = _download(
        client, reverse("cases:respondent_document", kwargs={"token": token, "doc": document.token})
    )
    _no_name(data)
    assert "old.pdf" not in disposition and "document.pdf" in disposition
