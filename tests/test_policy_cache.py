"""The public policy page renders each version once per language and answers 304 to a visitor who has it: the
cached page stays escaped, in the visitor's language, and a new publication shows at once in this process. The
front page is kept the same way (cabinet.public_pages)."""

from datetime import date

SCRIPT = "# Саясат\n\n<script>alert(1)</script> **1.1.** Мәтін."


def test_markup_in_a_version_stays_escaped_when_served_from_the_cache(client, policy):
    policy(label="2", effective_from=date(2026, 2, 1), kk=SCRIPT, ru="# Политика\n\n<script>alert(2)</script>")
    for _ in range(2):  # rendered, then from the cache
        page = client.get("/policy").text
        assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_kazakh_page_never_shows_the_russian_text_after_the_russian_one_was_cached(app, policy):
    russian, kazakh = app.test_client(), app.test_client()
    russian.get("/lang/ru")
    assert "Политика" in russian.get("/policy").text
    for _ in range(2):
        page = kazakh.get("/policy").text
        assert "Саясат" in page and "Политика" not in page
    assert "Политика" in russian.get("/policy").text and "Саясат" not in russian.get("/policy").text


def test_a_visitor_who_has_the_page_gets_304_until_a_new_version_is_published(client, policy):
    first = client.get("/policy")
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Cache-Control"] == "no-cache"
    again = client.get("/policy", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data and again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Content-Security-Policy"]  # a 304 carries the security headers too
    policy(label="2", effective_from=date(2026, 2, 1), kk="# Жаңа саясат", ru="# Новая политика")
    fresh = client.get("/policy", headers={"If-None-Match": first.headers["ETag"]})
    assert fresh.status_code == 200 and "Жаңа саясат" in fresh.text and fresh.headers["ETag"] != first.headers["ETag"]


def test_the_page_in_another_language_has_another_etag(app, policy):
    kazakh, russian = app.test_client(), app.test_client()
    russian.get("/lang/ru")
    tag = kazakh.get("/policy").headers["ETag"]
    assert russian.get("/policy", headers={"If-None-Match": tag}).status_code == 200


def test_a_signed_in_visitor_gets_no_etag(client, create_user, login):
    user = create_user()
    login(user)
    page = client.get("/policy")
    assert page.status_code == 200 and "ETag" not in page.headers and page.headers["Cache-Control"] == "no-store"


def test_a_version_not_yet_in_effect_is_not_shown(client, policy):
    policy(label="future", effective_from=date(2999, 1, 1), kk="# Болашақ", ru="# Будущее")
    assert client.get("/policy/future").status_code == 404
    assert "Болашақ" not in client.get("/policy").text
    assert client.get("/policy/1").status_code == 200


def test_the_front_page_is_kept_per_language_and_answers_304_to_a_visitor_who_has_it(app, client):
    first = client.get("/")
    assert first.status_code == 200 and first.headers["ETag"] and 'href="/register"' in first.text
    assert client.get("/", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    russian = app.test_client()
    russian.get("/lang/ru")
    page = russian.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert page.status_code == 200 and '<html lang="ru">' in page.text and '<html lang="kk">' in client.get("/").text


def test_a_kept_public_page_follows_a_changed_operator_contact(app, client, policy, monkeypatch):
    for path in ("/", "/policy"):
        before = client.get(path)
        monkeypatch.setitem(app.config, "OPERATOR_PHONE", "+7 (7112) 99-88-77")
        after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
        assert after.status_code == 200 and "+7 (7112) 99-88-77" in after.text
        monkeypatch.undo()


def test_the_front_page_signed_in_is_the_users_own(client, create_user, login):
    assert 'href="/register"' in client.get("/").text  # the anonymous page, kept
    login(create_user())
    page = client.get("/")
    assert page.status_code == 200 and "ETag" not in page.headers and 'href="/cabinet"' in page.text
    assert 'href="/register"' not in page.text
