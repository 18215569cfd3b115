"""Every public and cabinet page renders in both languages."""

import pytest

PUBLIC = ["/", "/policy", "/policy/1", "/login", "/register", "/reset"]
CABINET = ["/cabinet", "/cabinet/profile", "/cabinet/profile/edit", "/cabinet/profile/history",
           "/cabinet/documents", "/cabinet/policies", "/cabinet/consents", "/cabinet/access-log"]


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("url", PUBLIC)
def test_public_pages_render_in_both_languages(client, policy, url, lang):
    client.get(f"/lang/{lang}")
    response = client.get(url)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.text


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("url", CABINET)
def test_cabinet_pages_render_in_both_languages(client, create_user, login, url, lang):
    user = create_user()
    login(user)
    client.get(f"/lang/{lang}")
    response = client.get(url)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.text
    assert response.headers["Cache-Control"] == "no-store"
