"""Staff correct a draft before publishing it: edit, split, merge, move. Publishing freezes it."""

import pytest
from django.urls import reverse

from ombuds.codes import services
from ombuds.codes.exceptions import CodeError

pytestmark = pytest.mark.django_db


def order(version):
    return list(version.provisions.order_by("position").values_list("citation", "depth"))


def test_editing_a_lead_in_rewrites_its_childrens_full_text(draft):
    lead_in = draft.provisions.get(citation="1.1")
    services.provision_update(
        provision=lead_in, label="1.1", citation="1.1", heading="", text="Members must:"
    )
    a = draft.provisions.get(citation="1.1(a)")
    assert a.full_text == "Members must answer every complaint within ten days"
    assert a.modality == "obligation"


def test_editing_text_recomputes_modality(draft):
    p = draft.provisions.get(citation="1.2")
    services.provision_update(
        provision=p, label="1.2", citation="1.2", heading="", text="Members may keep records."
    )
    p.refresh_from_db()
    assert (p.text, p.modality) == ("Members may keep records.", "permission")


def test_a_citation_already_used_is_refused(draft):
    p = draft.provisions.get(citation="1.2")
    with pytest.raises(CodeError, match=r"citation '2\.1' is already used"):
        services.provision_update(provision=p, label="2.1", citation="2.1", heading="", text="x")


def test_split_puts_the_second_sentence_right_after_the_first(draft):
    p = draft.provisions.get(citation="1.2")
    at = p.text.index(" Records")
    new = services.provision_split(provision=p, at=at, citation="1.3")
    p.refresh_from_db()
    assert p.text == "Members shall keep records."
    assert (new.text, new.label, new.parent_id) == (
        "Records are kept for six years.",
        "1.3",  # a label that begins with its parent's stands alone, as the parser writes it
        p.parent_id,
    )
    assert order(draft) == [
        ("1", 0),
        ("1.1", 1),
        ("1.1(a)", 2),
        ("1.1(b)", 2),
        ("1.2", 1),
        ("1.3", 1),
        ("2", 0),
        ("2.1", 1),
    ]


def test_split_needs_words_on_both_sides(draft):
    p = draft.provisions.get(citation="1.2")
    with pytest.raises(CodeError, match="both parts need words"):
        services.provision_split(provision=p, at=0, citation="1.3")


def test_merge_joins_the_next_sibling_and_adopts_its_children(draft):
    first = draft.provisions.get(citation="1")
    services.provision_merge_next(provision=first)
    assert order(draft) == [
        ("1", 0),
        ("1.1", 1),
        ("1.1(a)", 2),
        ("1.1(b)", 2),
        ("1.2", 1),
        ("2.1", 1),
    ]
    assert draft.provisions.get(citation="2.1").parent.citation == "1"


def test_the_last_sibling_has_nothing_to_merge(draft):
    with pytest.raises(CodeError, match="no next provision"):
        services.provision_merge_next(provision=draft.provisions.get(citation="1.2"))


def test_move_carries_the_whole_subtree(draft):
    services.provision_move(provision=draft.provisions.get(citation="2"), direction="up")
    assert order(draft) == [
        ("2", 0),
        ("2.1", 1),
        ("1", 0),
        ("1.1", 1),
        ("1.1(a)", 2),
        ("1.1(b)", 2),
        ("1.2", 1),
    ]
    with pytest.raises(CodeError, match="cannot move up"):
        services.provision_move(provision=draft.provisions.get(citation="2"), direction="up")


# --- the same through the staff pages -----------------------------------------------------------


@pytest.fixture
def staff_client(client, personas):
    client.force_login(personas["body_staff"])
    return client


def _url(name, draft, provision=None):
    kwargs = {"org": "guild", "pk": draft.pk}
    if provision is not None:
        kwargs["ppk"] = provision.pk
    return reverse(f"codes_staff:{name}", kwargs=kwargs)


def test_staff_edit_a_provision_through_the_form(staff_client, draft):
    p = draft.provisions.get(citation="1.2")
    response = staff_client.post(
        _url("provision", draft, p),
        {
            "label": "1.2",
            "citation": "1.2",
            "heading": "",
            "text": "Members shall keep full records.",
        },
    )
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.text == "Members shall keep full records."


def test_the_edit_form_shows_every_error_at_once(staff_client, draft):
    p = draft.provisions.get(citation="1.2")
    response = staff_client.post(
        _url("provision", draft, p), {"label": "1.2", "citation": "2.1", "heading": "", "text": "x"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert "citation &#x27;2.1&#x27; is already used" in html


def test_staff_split_through_the_form(staff_client, draft):
    p = draft.provisions.get(citation="1.2")
    at = p.text.index(" Records")
    response = staff_client.post(_url("split", draft, p), {"split-at": at, "split-citation": "1.3"})
    assert response.status_code == 302
    assert draft.provisions.filter(citation="1.3").exists()


def test_staff_publish_and_then_nothing_changes(staff_client, draft):
    assert staff_client.post(_url("publish", draft)).status_code == 302
    draft.refresh_from_db()
    assert draft.is_published
    p = draft.provisions.get(citation="1.2")
    staff_client.post(_url("merge", draft, p))
    staff_client.post(
        _url("provision", draft, p),
        {"label": "1.2", "citation": "1.2", "heading": "", "text": "changed"},
    )
    p.refresh_from_db()
    assert p.text == "Members shall keep records. Records are kept for six years."
    response = staff_client.post(_url("delete", draft), follow=True)
    assert "is published and cannot be changed" in response.content.decode()


def _import_after_preview(client, data: dict):
    """Upload (the preview), then confirm with the fields the preview filled in."""
    import re

    preview = client.post(reverse("codes_staff:versions", kwargs={"org": "guild"}), data)
    assert preview.status_code == 200, preview.content.decode()[:2000]
    html = preview.content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    return client.post(
        reverse("codes_staff:import_confirm", kwargs={"org": "guild"}),
        {**hidden, "label": data.get("label", ""), "action": "import"},
        follow=True,
    )


def test_staff_import_a_file_and_see_its_warnings(staff_client, body, draft):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = b"Be kind to one another.\n\nAsk before you share a photo of someone.\n"
    upload = SimpleUploadedFile("rules.txt", text, content_type="text/plain")
    response = _import_after_preview(staff_client, {"file": upload, "label": "plain"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Imported version plain." in html
    assert "What the importer noticed" in html  # no recognisable structure: a warning


def test_staff_import_of_an_empty_file_shows_the_reason_on_the_form(staff_client, body):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("empty.txt", b"", content_type="text/plain")
    response = staff_client.post(
        reverse("codes_staff:versions", kwargs={"org": "guild"}), {"file": upload}
    )
    html = response.content.decode()
    assert 'class="error-summary"' in html


def test_staff_see_each_warning_with_its_line_after_an_import(staff_client, body, draft):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = (
        b"Guild Code\nARTICLE 1 - FEES\n1.1 Members shall publish fees.\n\nA stray paragraph.\n\n"
        b"1.2 Members shall not hide fees.\nARTICLE 2 - DUTIES\n"
    )
    upload = SimpleUploadedFile("gappy.txt", text, content_type="text/plain")
    response = _import_after_preview(staff_client, {"file": upload, "label": "gappy"})
    html = response.content.decode()
    assert "Imported version gappy." in html
    assert (
        "<li>line 5: a paragraph between 1.1 (line 3) and 1.2 (line 7) was put in the text of 1; "
        "check whether it belongs to 1.1</li>"
    ) in html
    assert "<li>line 8: 2 (&quot;DUTIES&quot;) has no text and no provisions under it</li>" in html


def test_the_draft_page_lists_each_provisions_duties(staff_client, draft):
    """Staff check what each provision binds members to before publishing: every duty, in words."""
    p = draft.provisions.get(citation="1.2")
    staff_client.post(
        _url("provision", draft, p),
        {
            "label": "1.2",
            "citation": "1.2",
            "heading": "",
            "text": "Members shall keep records. Members should not shred them. Members may scan them.",
        },
    )
    html = staff_client.get(_url("version", draft)).content.decode()
    listed = html[html.index('aria-label="Duties stated by 1.2"') :]
    listed = listed[: listed.index("</ul>")]
    assert "<strong>must</strong>: Members shall keep records." in listed
    assert "<strong>should</strong>: Members should not shred them." in listed
    assert "<strong>may</strong>: Members may scan them." in listed
    assert 'aria-label="Duties stated by 1.1(a)"' in html  # a clause read with its lead-in
    assert 'aria-label="Duties stated by 1"' not in html  # a title alone states none
