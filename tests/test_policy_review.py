"""A new policy version (clauses 5.4–5.5): published by CLI or from the admin page, announced on every cabinet
page and by mail, reviewed with a diff, acknowledged with evidence, listed among the subject's acceptances."""

import re

import pytest
from sqlalchemy import func, select

from cabinet.audit.models import AuditEvent
from cabinet.extensions import db
from cabinet.policies.models import PolicyAcceptance, PolicyNotice, PolicyText, PolicyVersion
from tests.helpers import login_as, rows

V2 = {"kk": "# Саясат\n\n**1.1.** Жаңа мәтін.\n\n**1.2.** Деректер 5 жыл сақталады.",
      "ru": "# Политика\n\n**1.1.** Новый текст.\n\n**1.2.** Данные хранятся 5 лет."}
SUMMARY = {"kk": "Сақтау мерзімі қосылды", "ru": "Добавлен срок хранения"}
HOSTILE = "**1.1.** Мәтін <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n[сілтеме](javascript:alert(3))"

CABINET_PAGES = ["/cabinet", "/cabinet/profile", "/cabinet/profile/edit", "/cabinet/profile/history",
                 "/cabinet/documents", "/cabinet/policies", "/cabinet/consents", "/cabinet/consents/withdraw-all",
                 "/cabinet/access-log", "/cabinet/complaints", "/cabinet/complaints/new", "/cabinet/disclosures"]
NOTICE = re.compile(r'<p class="notice">[^<]*<a href="/cabinet/policies/review">')


def today(app):
    from cabinet.i18n import local_today

    with app.app_context():
        return local_today()


@pytest.fixture
def texts(tmp_path):
    def write(kk=V2["kk"], ru=V2["ru"]):
        paths = tmp_path / "v.kk.md", tmp_path / "v.ru.md"
        for path, text in zip(paths, (kk, ru), strict=True):
            path.write_text(text, encoding="utf-8")
        return paths

    return write


def publish(runner, label, paths, effective, *summaries):
    kk, ru = paths
    return runner.invoke(args=["policy", "publish", label, "--effective-from", effective.isoformat(),
                               "--kk", str(kk), "--ru", str(ru), *summaries])


@pytest.fixture
def publish_v2(app, runner, texts, policy):
    """Publish version 2 from the command line, in effect from today."""

    def do():
        result = publish(runner, "2", texts(), today(app), "--summary-kk", SUMMARY["kk"],
                         "--summary-ru", SUMMARY["ru"])
        assert result.exit_code == 0, result.output
        return "2"

    return do


@pytest.fixture
def version_2(publish_v2, subject):
    """Version 2, published after the subject registered (who accepted version 1 then)."""
    return publish_v2()


@pytest.fixture
def subject(create_user):
    return create_user(email="subject@example.kz")


@pytest.fixture
def browser(app, subject):
    return login_as(app, subject)


def snapshot(app) -> dict:
    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                for m in (PolicyVersion, PolicyText, AuditEvent)}


# --- the notice and the review ----------------------------------------------------------------------

def test_no_notice_while_the_accepted_version_is_in_effect(browser, policy):
    for url in CABINET_PAGES:
        assert not NOTICE.search(browser.get(url).text), url


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_cabinet_page_links_to_the_review_of_a_new_version(browser, version_2, lang):
    browser.get(f"/lang/{lang}")
    for url in CABINET_PAGES:
        page = browser.get(url)
        assert page.status_code == 200, url
        assert NOTICE.search(page.text), url
    assert not NOTICE.search(browser.get("/").text)  # public pages are not the cabinet


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_review_shows_the_summary_the_changes_and_the_full_text(browser, version_2, lang):
    browser.get(f"/lang/{lang}")
    page = browser.get("/cabinet/policies/review")
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    assert SUMMARY[lang] in page.text
    diff = re.search(r'<table class="diff">.*?</table>', page.text, re.S).group(0)
    assert "<ins>" in diff and "<del>" in diff
    assert ("5 жыл" if lang == "kk" else "5 лет") in diff
    assert f'<article class="policy" lang="{lang}">' in page.text
    assert "<strong>1.2.</strong>" in page.text  # the full text, as Markdown renders it
    assert re.search(r'<form method="post">', page.text)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_acknowledging_records_the_evidence_and_ends_the_notice(app, browser, subject, version_2, lang):
    browser.get(f"/lang/{lang}")
    response = browser.post("/cabinet/policies/review")
    assert response.headers["Location"].endswith("/cabinet/policies")
    [acceptance] = rows(app, PolicyAcceptance, PolicyAcceptance.method == "cabinet")
    assert (acceptance.user_id, acceptance.actor_id, acceptance.locale, acceptance.ip) == \
        (subject.id, subject.id, lang, "127.0.0.1")
    assert acceptance.version.label == "2"
    [event] = rows(app, AuditEvent, AuditEvent.action == "policy.accepted", AuditEvent.details.is_not(None))[-1:]
    assert event.details == {"version": "2", "method": "cabinet", "locale": lang}
    for url in CABINET_PAGES:
        assert not NOTICE.search(browser.get(url).text), url
    again = browser.get("/cabinet/policies/review").text
    assert '<form method="post">' not in again
    browser.post("/cabinet/policies/review")
    assert len(rows(app, PolicyAcceptance, PolicyAcceptance.method == "cabinet")) == 1


def test_a_version_not_yet_in_effect_is_neither_announced_nor_shown(app, runner, texts, browser):
    from datetime import timedelta

    assert publish(runner, "3", texts(), today(app) + timedelta(days=3)).exit_code == 0
    assert not NOTICE.search(browser.get("/cabinet").text)
    assert browser.get("/policy/3").status_code == 404
    assert browser.get("/policy/1/diff/3").status_code == 404


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_my_policies_lists_each_acceptance_with_its_evidence_and_what_changed(app, browser, version_2, lang):
    browser.post("/cabinet/policies/review")
    browser.get(f"/lang/{lang}")
    page = browser.get("/cabinet/policies")
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    table = re.search(r"<tbody>(.*?)</tbody>", page.text, re.S).group(1)
    rows_ = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    assert [re.search(r'href="/policy/([^"]+)"', r).group(1) for r in rows_] == ["2", "1"]
    newest = rows_[0]
    assert "127.0.0.1" in newest and "<time datetime=" in newest
    assert 'href="/policy/1/diff/2"' in newest


# --- the public diff --------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_public_diff_works_in_both_languages(client, policy, version_2, lang):
    client.get(f"/lang/{lang}")
    page = client.get("/policy/1/diff/2")
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    assert SUMMARY[lang] in page.text
    assert "<ins>" in page.text and ("5 жыл" if lang == "kk" else "5 лет") in page.text


def test_html_in_a_policy_text_is_rendered_inert(app, runner, texts, browser):
    assert publish(runner, "2", texts(kk=HOSTILE, ru=HOSTILE), today(app),
                   "--summary-kk", "<b>жаңа</b>").exit_code == 0
    for url in ("/policy/2", "/policy/1/diff/2", "/cabinet/policies/review"):
        page = browser.get(url).text
        assert "<script>alert(1)" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;" in page, url
        assert 'href="javascript:' not in page, url
    assert "<b>жаңа</b>" not in browser.get("/cabinet/policies/review").text


# --- publishing -------------------------------------------------------------------------------------

def test_an_existing_label_is_refused_with_a_clear_message(app, runner, texts, version_2):
    before = snapshot(app)
    result = publish(runner, "2", texts(kk="Басқа", ru="Другой"), today(app))
    assert result.exit_code != 0
    assert "2" in result.output and "exists" in result.output and "Traceback" not in result.output
    assert snapshot(app) == before
    with app.app_context():
        assert "Басқа" not in db.session.scalar(select(PolicyText.body).join(PolicyVersion).where(
            PolicyVersion.label == "2", PolicyText.locale == "kk"))


@pytest.fixture
def admin(app, create_user):
    return login_as(app, create_user(email="dpo@example.kz", roles=("admin",)))


def admin_form(app, **changes):
    data = {"label": "2", "effective_from": today(app).isoformat(), "text_kk": V2["kk"], "text_ru": V2["ru"],
            "summary_kk": SUMMARY["kk"], "summary_ru": SUMMARY["ru"]}
    data.update(changes)
    return data


def test_the_admin_previews_both_languages_and_the_changes_before_publishing(app, admin, policy, browser):
    before = snapshot(app)
    preview = admin.post("/admin/policies", data=admin_form(app, preview="1"))
    assert preview.status_code == 200
    assert snapshot(app) == before  # a preview publishes nothing
    for lang in ("kk", "ru"):
        article = re.search(rf'<article class="policy" lang="{lang}">(.*?)</article>', preview.text, re.S).group(1)
        assert "<strong>1.2.</strong>" in article
    assert "<ins>" in preview.text and "<del>" in preview.text
    assert "5 жыл" in preview.text and "5 лет" in preview.text
    assert not NOTICE.search(browser.get("/cabinet").text)

    published = admin.post("/admin/policies", data=admin_form(app, publish="1"))
    assert published.headers["Location"].endswith("/admin/policies")
    [version] = rows(app, PolicyVersion, PolicyVersion.label == "2")
    assert version.effective_from == today(app)
    [event] = rows(app, AuditEvent, AuditEvent.action == "policy.published", AuditEvent.actor_id.is_not(None))
    assert event.details["label"] == "2" and event.actor_id == version.published_by_id
    assert NOTICE.search(browser.get("/cabinet").text)


def test_a_preview_escapes_html_in_the_texts(app, admin, policy):
    preview = admin.post("/admin/policies", data=admin_form(app, text_kk=HOSTILE, text_ru=HOSTILE, preview="1"))
    assert preview.status_code == 200
    assert "<script>alert(1)" not in preview.text and "&lt;script&gt;" in preview.text


# --- notifying subjects -----------------------------------------------------------------------------

def test_notify_mails_each_subject_once_in_their_language(app, runner, create_user, outbox, publish_v2):
    kk = create_user(email="kk@example.kz")
    ru = create_user(email="ru@example.kz", locale="ru")
    done = create_user(email="done@example.kz")
    create_user(email="staff@example.kz", roles=("support",))
    publish_v2()
    login_as(app, done).post("/cabinet/policies/review")

    result = runner.invoke(args=["policy", "notify"])
    assert result.exit_code == 0, result.output
    mails = {m["To"]: m for m in outbox() if "/cabinet/policies/review" in m.get_content()}
    assert sorted(mails) == sorted([kk.email, ru.email])
    for user, lang in ((kk, "kk"), (ru, "ru")):
        mail = mails[user.email]
        assert mail["Content-Language"] == lang
        assert SUMMARY[lang] in mail.get_content()
        assert "http://cabinet.test/cabinet/policies/review" in mail.get_content()
    assert len(rows(app, PolicyNotice)) == 2

    sent = len(outbox())
    assert runner.invoke(args=["policy", "notify"]).exit_code == 0
    assert len(outbox()) == sent


def test_notify_in_small_batches_reaches_everyone_once(app, runner, create_user, outbox, publish_v2):
    people = [create_user(email=f"s{n}@example.kz").email for n in range(5)]
    publish_v2()
    result = runner.invoke(args=["policy", "notify", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert sorted(m["To"] for m in outbox() if "/cabinet/policies/review" in m.get_content()) == sorted(people)
