"""Dates as a person writes them, sentences without a double full stop, mail subjects that keep their spaces, and
the sign-in page's language choice."""

from datetime import UTC, date, datetime
from email import message_from_bytes
from email import policy as email_policy
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from cabinet.dates import sentence, written, written_date, written_moment, written_month
from cabinet.extensions import db
from cabinet.i18n import time_tag
from cabinet.mail import compose, stored
from cabinet.messages import gettext
from tests.helpers import file_complaint

MOMENT = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)  # 14:30 in Astana


@pytest.mark.parametrize(("lang", "day", "moment"), [
    ("kk", "2026 жылғы 5 желтоқсан", "2026 жылғы 5 желтоқсан, 14:30 (Астана уақыты)"),
    ("ru", "5 декабря 2026 г.", "5 декабря 2026 г., 14:30 (время Астаны)")])
def test_a_date_and_a_moment_read_as_a_person_writes_them(app, lang, day, moment):
    with app.app_context():
        assert written_date(date(2026, 12, 5), lang) == day
        assert written_moment(MOMENT, lang) == moment
        assert written("2026-12-05", lang) == day and written(MOMENT.isoformat(), lang) == moment


@pytest.mark.parametrize(("lang", "shown"), [("kk", "2026 жылғы 7 қаңтар, 05:05 (Астана уақыты)"),
                                             ("ru", "7 января 2026 г., 05:05 (время Астаны)")])
def test_time_tag_shows_the_written_moment_and_keeps_the_machine_value(app, lang, shown):
    with app.test_request_context(), force_locale(lang):
        tag = str(time_tag(datetime(2026, 1, 7, 0, 5, tzinfo=UTC)))
        assert tag == f'<time datetime="2026-01-07T05:05:00+05:00">{shown}</time>'
        assert str(time_tag(date(2026, 1, 7))).startswith('<time datetime="2026-01-07">')


def test_month_names_read_once_stay_in_their_language(app):
    """The month names are kept per language: one language asked after another never gets the other's words."""
    with app.test_request_context():
        for _turn in range(2):
            for lang, word, other in (("kk", "қаңтар", "января"), ("ru", "января", "қаңтар")):
                with force_locale(lang):
                    tag = str(time_tag(datetime(2026, 1, 7, 0, 5, tzinfo=UTC)))
                    assert word in tag and other not in tag
        with force_locale("ru"):
            assert "январь 2026 г." == written_month(2026, 1)  # stand-alone, not the genitive of a date


def test_a_kept_time_tag_follows_the_configured_zone(app):
    """A tag kept for one zone is not shown once the operator's zone is another."""
    with app.test_request_context(), force_locale("ru"):
        assert "05:05 (время Астаны)" in str(time_tag(datetime(2026, 1, 7, 0, 5, tzinfo=UTC)))
        app.config["TIMEZONE"] = "Asia/Aqtobe"
        try:
            assert "05:05 (время Актобе)" in str(time_tag(datetime(2026, 1, 7, 0, 5, tzinfo=UTC)))
            app.config["TIMEZONE"] = "UTC"
            tag = str(time_tag(datetime(2026, 1, 7, 0, 5, tzinfo=UTC)))
            assert 'datetime="2026-01-07T00:05:00+00:00"' in tag and "00:05 (UTC)" in tag
        finally:
            app.config["TIMEZONE"] = "Asia/Almaty"


def test_a_sentence_gets_one_full_stop():
    assert sentence("до 5 декабря 2026 г.") == "до 5 декабря 2026 г."
    assert sentence("2026 жылғы 5 желтоқсан") == "2026 жылғы 5 желтоқсан."


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_no_double_full_stop_after_a_date_in_pages_and_mails(app, lang):
    with app.test_request_context(), force_locale(lang):
        due = time_tag(date(2026, 12, 7))
        text = str(gettext("Your name correction is under review; the answer is due by %(due)s.", due=due))
        assert ".." not in text and "</time>" in text
        page = app.jinja_env.from_string(
            "{% trans due=day|time %}Your name correction is under review; the answer is due by {{ due }}."
            "{% endtrans %}").render(day=date(2026, 12, 7))
        assert ".." not in page
        version = SimpleNamespace(label="2", effective_from=date(2026, 12, 7))
        mail = app.jinja_env.get_template("mail/policy_changed.txt").render(
            version=version, user=SimpleNamespace(given_name="Айгерім"), link="http://x")
        assert ".." not in mail.replace("...", "")
        assert written_date(date(2026, 12, 7), lang) in mail
    with app.test_request_context(), force_locale("ru"):
        assert str(gettext("In effect from %(date)s.", date="7 декабря 2026 г.")).endswith("2026 г.")


SUBJECT_CONTEXT = {"complaint": SimpleNamespace(number="BE-2026-000001"), "seq": 12345, "total": 3, "warn_days": 5,
                   "subject": "Жаңалықтар мен ұсыныстар", "finding": SimpleNamespace(problem="changed", position=2)}


def mail_subjects(app):
    """Every mail template's first line (its subject), rendered as sending would."""
    names = [n for n in app.jinja_env.list_templates() if n.startswith("mail/") and not n.startswith("mail/_")]
    assert len(names) >= 10
    for name in names:
        first = app.jinja_loader.get_source(app.jinja_env, name)[0].splitlines()[0]
        for status in ("approved", "rejected"):
            yield name, app.jinja_env.from_string(first).render(
                request=SimpleNamespace(status=status), **SUBJECT_CONTEXT).strip()


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_mail_subject_survives_storing_and_sending_word_for_word(app, lang):
    with app.test_request_context(), force_locale(lang):
        subjects = list(mail_subjects(app))
        subjects.append(("long", "Біреу сіздің электрондық пошта мекенжайыңызды пайдаланып тіркелуге тырысты: "
                                 "түзету ұсынылды, исправления: срок ответа — 5 декабря 2026 г."))
        for name, subject in subjects:
            assert subject, name
            message = compose("user@example.kz", subject, "Мәтін", lang)
            raw = stored(message)
            header = raw.split(b"\n\n")[0].decode("ascii")
            assert all(len(line) <= 998 for line in header.splitlines())
            assert message_from_bytes(raw, policy=email_policy.default)["Subject"] == subject, name


@pytest.mark.parametrize(("stored_lang", "chosen"), [("kk", "ru"), ("ru", "kk")])
def test_the_sign_in_pages_language_wins_and_is_stored(app, client, create_user, login, stored_lang, chosen):
    from cabinet.accounts.models import User

    user = create_user()
    with app.app_context():
        db.session.get(User, user.id).locale = stored_lang
        db.session.commit()
    client.get(f"/lang/{chosen}?next=/login")
    login(user)
    page = client.get("/cabinet")
    assert f'<html lang="{chosen}">' in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.locale).where(User.id == user.id)) == chosen


@pytest.mark.parametrize(("lang", "title"), [("kk", "<title>Жеке кабинет</title>"),
                                             ("ru", "<title>Личный кабинет</title>")])
def test_the_cabinets_title_names_it_once(client, create_user, login, lang, title):
    login(create_user())
    client.get(f"/lang/{lang}")
    page = client.get("/cabinet").get_data(as_text=True)
    assert title in page
    assert "<title>" in client.get("/cabinet/profile").get_data(as_text=True)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_limits_in_hints_are_grouped_for_the_reader(client, create_user, login, lang):
    login(create_user())
    client.get(f"/lang/{lang}")
    page = client.get("/cabinet/complaints/new").get_data(as_text=True)
    assert "10\u00a0000" in page and "2\u00a0000" in page
    assert "10000" not in page.replace('maxlength="10000"', "")
    with client.application.test_request_context(), force_locale(lang):
        assert "2026" in str(gettext("Working-day calendar %(year)s", year=2026))


@pytest.mark.parametrize(("lang", "left"), [("kk", "жұмыс күні қалды)"), ("ru", "рабочих дней)")])
def test_the_complaints_due_date_and_its_countdown_read_apart(app, client, create_user, login, lang, left):
    from cabinet.complaints.models import Complaint

    login(create_user())
    number = file_complaint(client)
    with app.app_context():
        due = db.session.scalar(select(Complaint.due_on).where(Complaint.number == number))
    client.get(f"/lang/{lang}")
    page = client.get(f"/cabinet/complaints/{number}").get_data(as_text=True)
    assert f"{written_date(due, lang)}</time> (" in " ".join(page.split()) and left in page
