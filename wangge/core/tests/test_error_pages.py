"""A wrong address or a forbidden page is one of our pages, in the reader's language, with the way back; never
Django's bare English "Not Found"."""

from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation


def test_not_found_is_our_page_with_the_navigation(db):
    c = Client()
    zh = c.get("/r/NOPE-NOPE/")
    html = zh.content.decode()
    assert zh.status_code == 404 and 'lang="zh-hans"' in html and 'class="topbar"' in html
    assert "requested resource was not found" not in html and 'href="/report/"' in html
    c.cookies["django_language"] = "en"
    html = c.get("/stations/99999/").content.decode()
    assert "Page not found" in html and 'href="/rider/"' in html


def test_forbidden_is_our_page(people):
    c = Client()
    c.force_login(people["worker"])
    c.cookies["django_language"] = "en"
    r = c.get("/merge/")
    html = r.content.decode()
    assert r.status_code == 403 and "No permission" in html
    assert 'href="/start/"' in html and 'class="topbar"' in html


def test_server_error_page_stands_alone():
    with translation.override("en"):
        html = render_to_string("500.html")
    assert "Something went wrong" in html and 'href="/start/"' in html
