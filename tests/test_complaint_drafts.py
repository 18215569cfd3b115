"""Issue 15: the preview keeps the attachments (drafts) until the complaint is filed; staff check an answer before it
is sent; unsent drafts are swept after a day."""

import hashlib
import os
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from cabinet.extensions import db
from tests.crawling import SourceStrings
from tests.helpers import (
    NUMBER,
    PDF,
    PDF_WITH_JS,
    PNG,
    TOKEN,
    act,
    complaint_form,
    events,
    file_complaint,
    login_as,
    status_of,
    upload,
    written,
)

#: a PDF of 1,5 KB: its size reads «1,5 КБ» in Kazakh and in Russian
PDF_1_5_KB = PDF + b"%" + b"x" * (1536 - len(PDF) - 2) + b"\n"
ANSWER = "Жауап: деректеріңіз үшінші тұлғаға берілмейді.\nҚұрметпен, оператор."
ANSWER_TOKEN = "answer-token-000000000001"


def distinct_pdf(n: int) -> bytes:
    """A valid PDF whose bytes (and hash) differ by n."""
    return PDF + f"%{n}\n".encode()


@pytest.fixture
def subject(create_user, login):
    user = create_user(surname="Сейітова", given_name="Әйгерім")
    login(user)
    return user


@pytest.fixture
def staff(app, create_user):
    return login_as(app, create_user(email="support@example.kz", roles=("support",), surname="Ахметов",
                                     given_name="Болат"))


def drafts(app, **where):
    from cabinet.documents.models import UploadDraft

    with app.app_context():
        found = db.session.scalars(select(UploadDraft).filter_by(**where).order_by(UploadDraft.id)).all()
        db.session.expunge_all()
        return found


def attachments_of(app, number) -> list:
    """The documents a complaint's steps carry, in order."""
    from cabinet.complaints.models import Complaint, ComplaintAttachment, ComplaintEvent
    from cabinet.documents.models import Document

    with app.app_context():
        found = db.session.scalars(
            select(Document).join(ComplaintAttachment, ComplaintAttachment.document_id == Document.id)
            .join(ComplaintEvent, ComplaintEvent.id == ComplaintAttachment.event_id)
            .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
            .where(Complaint.number == number).order_by(Document.id)).all()
        db.session.expunge_all()
        return found


def preview(client, **changes):
    return client.post("/cabinet/complaints/new", data=complaint_form(preview="1", **changes))


def listed(html) -> list[str]:
    """The names of the files kept for the form, as listed with their remove buttons."""
    return re.findall(r'<li data-draft="\d+"><span class="file-name">([^<]+)</span>', html)


def stored(app, key) -> Path:
    return Path(app.config["UPLOAD_DIR"]) / key


# --- the subject's preview -------------------------------------------------------------------------

def test_preview_keeps_a_pdf_and_filing_attaches_it_with_the_same_hash(app, client, subject):
    digest = hashlib.sha256(PDF_1_5_KB).hexdigest()
    page = preview(client, attachments=[upload(PDF_1_5_KB, "акт.pdf")])
    assert page.status_code == 200 and 'class="complaint-preview"' in page.text
    assert listed(page.text) == ["акт.pdf"]
    assert "1,5 КБ" in page.text and digest in page.text
    (draft,) = drafts(app)
    assert draft.sha256 == digest and draft.owner_id == subject.id and draft.form_token == TOKEN
    assert [(d["name"], d["sha256"]) for d in client.get("/cabinet/export").get_json()["upload_drafts"]] == [
        ("акт.pdf", digest)]  # held, so in the export until filed
    assert stored(app, draft.storage_key).read_bytes() == PDF_1_5_KB
    # File, choosing nothing again: the kept file is the complaint's attachment
    response = client.post("/cabinet/complaints/new", data=complaint_form(file="1"))
    assert response.status_code == 302
    number = NUMBER.search(response.headers["Location"]).group(1)
    (document,) = attachments_of(app, number)
    assert (document.original_name, document.sha256, document.size) == ("акт.pdf", digest, len(PDF_1_5_KB))
    assert stored(app, document.storage_key).read_bytes() == PDF_1_5_KB
    assert drafts(app) == [] and client.get("/cabinet/export").get_json()["upload_drafts"] == []
    assert digest in client.get(f"/cabinet/complaints/{number}").text
    (filed,) = events(app, "complaint.filed")
    assert filed.details["attachments"] == [digest]
    (kept,) = events(app, "document.draft_kept")
    assert kept.details["sha256"] == digest and kept.subject_id == subject.id


def test_the_attachments_are_the_kept_ones_plus_the_newly_chosen(app, client, subject):
    preview(client, attachments=[upload(PDF, "бірінші.pdf")])
    number = file_complaint(client, file="1", attachments=[upload(PNG, "екінші.png")])
    assert [(d.original_name, d.sha256) for d in attachments_of(app, number)] == [
        ("бірінші.pdf", hashlib.sha256(PDF).hexdigest()), ("екінші.png", hashlib.sha256(PNG).hexdigest())]


def test_more_files_can_be_added_on_the_preview_and_the_same_file_is_kept_once(app, client, subject):
    preview(client, attachments=[upload(PDF, "акт.pdf")])
    page = preview(client, attachments=[upload(PNG, "фото.png"), upload(PDF, "акт-қайта.pdf")])
    assert listed(page.text) == ["акт.pdf", "фото.png"]  # a reload sending the same bytes adds nothing
    assert len(drafts(app)) == 2


def test_removing_one_keeps_the_rest_and_the_text(app, client, subject):
    preview(client, attachments=[upload(PDF, "акт.pdf"), upload(PNG, "фото.png")])
    photo = next(d for d in drafts(app) if d.original_name == "фото.png")
    page = client.post("/cabinet/complaints/new", data=complaint_form(remove_draft=str(photo.id)))
    assert page.status_code == 200
    assert listed(page.text) == ["акт.pdf"]
    assert "Деректерім рұқсатсыз берілді" in page.text and "Тексеріңіз." in page.text
    assert not stored(app, photo.storage_key).exists()
    (removed,) = events(app, "document.draft_removed")
    assert removed.details["sha256"] == hashlib.sha256(PNG).hexdigest()
    number = file_complaint(client, file="1")
    assert [d.original_name for d in attachments_of(app, number)] == ["акт.pdf"]


def test_a_remove_button_works_without_javascript_and_enter_previews(client, subject):
    page = preview(client, attachments=[upload()]).text
    form = re.search(r'<form method="post" enctype="multipart/form-data" novalidate>(.*?)</form>', page, re.S).group(1)
    buttons = re.findall(r'<button type="submit" name="([^"]+)"', form)
    assert buttons[0] == "preview"  # the form's default button: Enter in the subject's line never removes a file
    assert "remove_draft" in buttons


def test_another_subjects_draft_is_not_taken_or_removed(app, client, create_user, subject):
    preview(client, attachments=[upload(PDF, "менікі.pdf")])
    (mine,) = drafts(app)
    other = login_as(app, create_user(email="other@example.kz"))
    response = other.post("/cabinet/complaints/new",
                          data=complaint_form(submission_token="other-token-000000000001", remove_draft=str(mine.id),
                                              preview="1"))
    assert response.status_code == 200 and "менікі.pdf" not in response.text
    # the other subject files with the form's very token: none of the first subject's files goes along
    response = other.post("/cabinet/complaints/new", data=complaint_form(file="1"))
    number = NUMBER.search(response.headers["Location"]).group(1)
    assert attachments_of(app, number) == []
    assert [d.id for d in drafts(app)] == [mine.id] and stored(app, mine.storage_key).exists()


def test_a_bad_file_on_the_preview_gives_a_message_and_keeps_nothing(app, client, subject):
    preview(client, attachments=[upload(PNG, "фото.png")])
    before = written(app)
    response = preview(client, attachments=[upload(PDF, "жақсы.pdf"), upload(PDF_WITH_JS, "скрипт.pdf")])
    assert response.status_code == 200
    assert re.search(r'<div class="field has-error">(?:(?!</div>).)*name="attachments"', response.text, re.S)
    assert "скрипт.pdf" in response.text and 'role="alert"' in response.text
    assert [d.original_name for d in drafts(app)] == ["фото.png"]
    assert written(app) == before


def test_the_count_limit_counts_the_kept_files_and_the_new(app, client, subject):
    limit = app.config["MAX_UPLOAD_FILES"]
    preview(client, attachments=[upload(distinct_pdf(i), f"{i}.pdf") for i in range(limit - 2)])
    before = written(app)
    response = client.post("/cabinet/complaints/new", data=complaint_form(
        file="1", attachments=[upload(distinct_pdf(i), f"{i}.pdf") for i in range(limit - 2, limit + 1)]))
    assert response.status_code == 200 and 'role="alert"' in response.text
    assert written(app) == before and len(drafts(app)) == limit - 2
    page = preview(client, attachments=[upload(distinct_pdf(i), f"{i}.pdf") for i in range(limit - 2, limit)]).text
    assert len(listed(page)) == limit
    assert 'type="file"' not in page  # full: no field to add another, and it says so
    number = file_complaint(client, file="1")
    assert len(attachments_of(app, number)) == limit


def test_duplicate_question_keeps_the_chosen_files_for_file_it_anyway(app, client, subject):
    first = file_complaint(client)
    token = "back-token-00000000000001"
    asked = client.post("/cabinet/complaints/new",
                        data=complaint_form(submission_token=token, attachments=[upload(PNG, "фото.png")]))
    assert asked.status_code == 200 and f'data-duplicate="{first}"' in asked.text
    assert listed(asked.text) == ["фото.png"]
    anyway = client.post("/cabinet/complaints/new", data=complaint_form(submission_token=token, file_anyway="yes"))
    assert anyway.status_code == 302
    number = NUMBER.search(anyway.headers["Location"]).group(1)
    assert number != first and [d.original_name for d in attachments_of(app, number)] == ["фото.png"]


def test_staff_acting_keep_the_drafts_as_the_subjects_on_record(app, create_user, subject):
    staff = login_as(app, create_user(email="support@example.kz", roles=("support",)))
    act(staff, subject.id, basis=upload(PDF, "өтініш.pdf"))
    staff.post("/cabinet/complaints/new", data=complaint_form(preview="1", attachments=[upload(PNG, "фото.png")]))
    (draft,) = drafts(app)
    assert draft.owner_id == subject.id and draft.uploaded_by_id != subject.id
    (kept,) = events(app, "document.draft_kept")
    assert kept.subject_id == subject.id and kept.actor_id == draft.uploaded_by_id and "on_behalf" in kept.details
    number = NUMBER.search(staff.post("/cabinet/complaints/new", data=complaint_form(file="1")
                                      ).headers["Location"]).group(1)
    (document,) = attachments_of(app, number)
    assert document.owner_id == subject.id and document.sha256 == draft.sha256


# --- the sweep -------------------------------------------------------------------------------------

def test_the_sweep_removes_day_old_unfiled_drafts_but_not_filed_attachments(app, client, subject):
    from cabinet.database import utcnow
    from cabinet.documents.models import UploadDraft
    from cabinet.scheduled import sweep_uploads

    preview(client, attachments=[upload(PDF, "берілген.pdf")])
    number = file_complaint(client, file="1")
    (filed,) = attachments_of(app, number)
    preview(client, submission_token="stale-token-000000000001", attachments=[upload(PNG, "ескі.png")])
    preview(client, submission_token="fresh-token-000000000001", attachments=[upload(PNG, "жаңа.png")])
    stale, fresh = drafts(app)
    with app.app_context():
        db.session.execute(update(UploadDraft).where(UploadDraft.id == stale.id)
                           .values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    old = time.time() - 2 * 86400  # every file looks old to the orphan rule: only rows decide
    for key in (filed.storage_key, stale.storage_key, fresh.storage_key):
        os.utime(stored(app, key), (old, old))
    assert sweep_uploads.call_local() == 1
    assert [d.id for d in drafts(app)] == [fresh.id]
    assert not stored(app, stale.storage_key).exists()
    assert stored(app, fresh.storage_key).exists() and stored(app, filed.storage_key).exists()
    (expired,) = events(app, "document.draft_expired")
    assert expired.subject_id == subject.id and expired.actor_id is None
    assert expired.details["job"]["name"] == "documents sweep" and expired.details["name"] == "ескі.png"
    (swept,) = events(app, "documents.drafts_swept")
    assert swept.details["removed"] == 1 and swept.details["older_than_hours"] == 24
    assert client.get(f"/cabinet/complaints/{number}").status_code == 200


def test_the_sweep_command_removes_stale_drafts_too(app, client, subject, runner):
    from cabinet.database import utcnow
    from cabinet.documents.models import UploadDraft

    preview(client, attachments=[upload(PNG, "ескі.png")])
    with app.app_context():
        db.session.execute(update(UploadDraft).values(created_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    result = runner.invoke(args=["documents", "sweep"])
    assert result.exit_code == 0, result.output
    assert "1 unsent drafts older than a day removed" in result.output
    assert drafts(app) == []


# --- staff: check the answer, then send it ---------------------------------------------------------

def test_staff_check_the_answer_then_send_it(app, client, subject, staff, outbox):

    number = file_complaint(client)
    page = staff.get(f"/staff/complaints/{number}").text
    assert re.search(r'<button type="submit" name="preview" value="1">', page)
    digest = hashlib.sha256(PDF_1_5_KB).hexdigest()
    check = staff.post(f"/staff/complaints/{number}", data={
        "answer": ANSWER, "submission_token": ANSWER_TOKEN, "preview": "1",
        "attachments": [upload(PDF_1_5_KB, "жауап.pdf")]})
    assert check.status_code == 200 and "data-answer-check" in check.text
    assert "Жауап: деректеріңіз үшінші тұлғаға берілмейді." in check.text
    assert 'data-check="locale">Қазақ тілі<' in check.text  # the complainant's, frozen with the filing
    assert "жауап.pdf" in check.text and "1,5 КБ" in check.text
    assert 'name="send"' in check.text and 'name="edit"' in check.text
    assert status_of(app, number) != "answered"
    (draft,) = drafts(app)
    assert draft.owner_id == subject.id and draft.purpose == "answer"
    # Back to edit: the text and the kept file are there
    edit = staff.post(f"/staff/complaints/{number}", data={"answer": ANSWER, "submission_token": ANSWER_TOKEN,
                                                           "edit": "1"})
    assert "data-answer-check" not in edit.text
    assert re.search(r"<textarea[^>]*name=\"answer\"[^>]*>\s*Жауап: деректеріңіз", edit.text)
    assert listed(edit.text) == ["жауап.pdf"]
    again = staff.post(f"/staff/complaints/{number}", data={
        "answer": ANSWER, "submission_token": ANSWER_TOKEN, "preview": "1", "attachments": [upload(PNG, "артық.png")]})
    assert "артық.png" in again.text
    extra = next(d for d in drafts(app) if d.original_name == "артық.png")
    edit = staff.post(f"/staff/complaints/{number}", data={"answer": ANSWER, "submission_token": ANSWER_TOKEN,
                                                           "remove_draft": str(extra.id)})
    assert listed(edit.text) == ["жауап.pdf"] and ANSWER.splitlines()[0] in edit.text
    sent = staff.post(f"/staff/complaints/{number}", data={"answer": ANSWER, "submission_token": ANSWER_TOKEN,
                                                           "send": "1"})
    assert sent.status_code == 302 and status_of(app, number) == "answered"
    documents = attachments_of(app, number)
    assert [(d.original_name, d.sha256, d.owner_id) for d in documents] == [("жауап.pdf", digest, subject.id)]
    assert drafts(app) == []
    assert ANSWER.splitlines()[0] in client.get(f"/cabinet/complaints/{number}").text


def test_a_bad_answer_file_on_the_check_gives_a_message_and_keeps_nothing(app, client, subject, staff):

    number = file_complaint(client)
    response = staff.post(f"/staff/complaints/{number}", data={
        "answer": ANSWER, "submission_token": ANSWER_TOKEN, "preview": "1",
        "attachments": [upload(PDF_WITH_JS, "скрипт.pdf")]})
    assert response.status_code == 200 and "data-answer-check" not in response.text and 'role="alert"' in response.text
    assert drafts(app) == [] and status_of(app, number) == "registered"


def test_another_staff_members_answer_drafts_are_not_taken(app, client, create_user, subject, staff):
    number = file_complaint(client)
    staff.post(f"/staff/complaints/{number}", data={"answer": ANSWER, "submission_token": ANSWER_TOKEN,
                                                    "preview": "1", "attachments": [upload(PDF, "жауап.pdf")]})
    colleague = login_as(app, create_user(email="colleague@example.kz", roles=("support",)))
    response = colleague.post(f"/staff/complaints/{number}", data={"answer": ANSWER, "submission_token": ANSWER_TOKEN})
    assert response.status_code == 302
    assert attachments_of(app, number) == [] and len(drafts(app)) == 1


def test_a_direct_answer_without_the_check_is_still_sent_at_once(app, client, subject, staff):

    number = file_complaint(client)
    response = staff.post(f"/staff/complaints/{number}", data={
        "answer": ANSWER, "submission_token": ANSWER_TOKEN, "attachments": [upload(PNG, "скан.png")]})
    assert response.status_code == 302 and status_of(app, number) == "answered"
    assert [d.sha256 for d in attachments_of(app, number)] == [hashlib.sha256(PNG).hexdigest()]


# --- the languages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_preview_and_the_check_show_no_english(client, subject, staff, lang):
    client.get(f"/lang/{lang}")
    staff.get(f"/lang/{lang}")
    checker = SourceStrings.of(lang)
    page = preview(client, attachments=[upload(PDF_1_5_KB, "акт.pdf"), upload(PNG, "фото.png")]).text
    assert f'<html lang="{lang}">' in page and listed(page) == ["акт.pdf", "фото.png"]
    assert checker.found_in(page) == []
    number = file_complaint(client, file="1")
    check = staff.post(f"/staff/complaints/{number}", data={
        "answer": ANSWER, "submission_token": ANSWER_TOKEN, "preview": "1", "attachments": [upload(PNG, "скан.png")]})
    assert "data-answer-check" in check.text
    assert checker.found_in(check.text) == []
    edit = staff.post(f"/staff/complaints/{number}", data={"answer": ANSWER, "submission_token": ANSWER_TOKEN,
                                                           "edit": "1"})
    assert checker.found_in(edit.text) == []
