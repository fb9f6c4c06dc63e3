"""The frame every page shares: sign-in pages, home per role, language switch, error pages,
and the CSP rule that no page carries inline scripts or styles."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error
from django_otp.plugins.otp_totp.models import TOTPDevice

from warmgrid.testing import PASSWORD

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def assert_csp_clean(html: str) -> None:
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not STYLE_ATTR.search(html), STYLE_ATTR.search(html)
    assert "<style" not in html.lower()
    assert " on" + "click=" not in html.lower()


@pytest.mark.parametrize("url", ["/", "/people/residents/", "/people/households/", "/places/",
                                 "/audit/"])
def test_it_redirects_anonymous_to_login(db, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_renders_the_login_page(db):
    response = Client().get(reverse("accounts:login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<meta charset="utf-8">' in html
    assert 'name="viewport"' in html
    assert '/static/vendor/pico.min.css' in html
    assert '/static/vendor/htmx.min.js' in html
    assert '/static/warmgrid/app.js' in html
    assert '"includeIndicatorStyles": false' in html
    assert 'name="username"' in html and 'name="password"' in html
    assert f'action="{reverse("set_language")}"' in html
    assert_csp_clean(html)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_it_shows_a_clear_login_error(world):
    response = Client().post(reverse("accounts:login"),
                             {"username": "worker_a", "password": "wrong-password"})
    assert response.status_code == 200
    assert 'class="wg-nonfield"' in response.content.decode()


def test_it_signs_in_and_lands_on_home(world):
    client = Client()
    response = client.post(reverse("accounts:login"),
                           {"username": "worker_a", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "worker_a" in response.content.decode()


def test_it_logs_out_with_a_post(world, login):
    client = login(world.worker_a)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_an_admin_without_an_authenticator_is_told_who_can_enrol_one(world):
    client = Client()
    client.force_login(world.district_admin)  # password done, second factor not yet
    response = client.get(reverse("accounts:otp"))
    html = response.content.decode()
    assert response.status_code == 403
    # No secret is ever shown to whoever holds the password.
    assert 'name="code"' not in html
    assert not TOTPDevice.objects.filter(user=world.district_admin).exists()
    assert_csp_clean(html)
    assert client.get("/").status_code == 302


def test_it_shows_a_wrong_code_beside_the_field(world):
    TOTPDevice.objects.create(user=world.district_admin, name="phone", confirmed=True)
    client = Client()
    client.force_login(world.district_admin)
    response = client.post(reverse("accounts:otp"), {"code": "000000"})
    html = response.content.decode()
    assert 'id="id_code_error"' in html
    assert 'aria-invalid="true"' in html


def test_it_shows_the_locked_out_page(world):
    client = Client()
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "worker_a", "password": "nope"})
    response = client.post(reverse("accounts:login"),
                           {"username": "worker_a", "password": PASSWORD})
    assert response.status_code == 429
    assert "15" in response.content.decode()
    assert "accounts/locked_out.html" in [t.name for t in response.templates]


HOME_TEXT = {
    "worker_a": "Residents of this grid",
    "leader_a": "Residents of this grid",
    "community_staff": "Area overview",
    "street_admin": "Residents by vulnerable group",
    "district_admin": "Residents by vulnerable group",
    "system_admin": "Audit log",
    "resident_a": "Your household",
    "volunteer": "visits and patrols",
    "researcher": "De-identified survey answers",
    "handler": "route to your department",
    "outsider": "has no role yet",
}


@pytest.mark.parametrize(("persona", "text"), HOME_TEXT.items())
def test_it_renders_home_for_each_role(world, login, persona, text):
    response = login(getattr(world, persona)).get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert text in html
    assert_csp_clean(html)


def test_it_shows_grant_cards_and_nav_by_role(world, login):
    html = login(world.street_admin).get(reverse("home")).content.decode()
    assert world.street1.name in html
    assert reverse("places:area_groups", args=[world.street1.pk]) in html
    assert reverse("audit:log") in html
    worker_html = login(world.worker_a).get(reverse("home")).content.decode()
    assert reverse("audit:log") not in worker_html
    assert reverse("people:household_create") in worker_html
    resident_html = login(world.resident_a).get(reverse("home")).content.decode()
    assert reverse("people:household_detail", args=[world.household_a.pk]) in resident_html
    assert reverse("people:resident_list") not in resident_html


def test_it_switches_to_english(world, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the real default, not the tests' English
    client = Client()
    chinese = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="zh-hans">' in chinese
    assert "用户名" in chinese  # Django's own catalogue: the form label
    assert "登录暖网" in chinese  # ours
    response = client.post(reverse("set_language"),
                           {"language": "en", "next": reverse("accounts:login")})
    assert response.status_code == 302
    english = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="en">' in english
    assert "Username" in english
    assert "Sign in to WarmGrid" in english


def test_it_renders_the_404_page_inside_the_frame(world, login):
    response = login(world.worker_a).get("/people/residents/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "outside the area you are responsible for" in html
    assert "worker_a" in html  # the frame with the user's bar


def test_it_renders_the_500_page_without_the_database():
    # No db fixture: any query while rendering would fail this test.
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert html == render_to_string("500.html")
    assert '<meta charset="utf-8">' in html
    assert "{% extends" not in html
    assert_csp_clean(html)



def test_no_page_carries_inline_scripts_or_styles(world, login):
    """The CSP refuses them, so a page that had one would silently break in browsers."""
    worker_pages = [
        reverse("people:resident_list"), reverse("people:resident_list") + "?q=zs",
        reverse("people:resident_detail", args=[world.zhang_san.pk]),
        reverse("people:resident_edit", args=[world.zhang_san.pk]),
        reverse("people:resident_create", args=[world.household_a.pk]),
        reverse("people:household_list"),
        reverse("people:household_detail", args=[world.household_a.pk]),
        reverse("people:household_create"),
        reverse("people:household_edit", args=[world.household_a.pk]),
        reverse("places:area_detail", args=[world.grid_a.pk]),
    ]
    admin_pages = [
        reverse("places:area_detail", args=[world.street1.pk]),
        reverse("places:area_groups", args=[world.street1.pk]),
        reverse("audit:log"),
    ]
    for client, urls in ((login(world.worker_a), worker_pages),
                         (login(world.street_admin), admin_pages)):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert_csp_clean(response.content.decode())
