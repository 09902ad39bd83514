"""The public notice and its A4 sign over HTTP: the visitor's language, the strict page CSP,
the sign's QR code opening this very notice, and an unknown site as a 404 page."""

from __future__ import annotations

from tests.service.api_world import SITE, World, world_fixture  # noqa: F401
from veil.service.routers.pages_common import PAGE_CSP


def test_the_notice_is_public_in_the_visitors_language(world: World) -> None:
    r = world.anonymous.get(f"/notice/{SITE}", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert r.status_code == 200 and 'lang="zh-CN"' in r.text
    assert r.headers["content-security-policy"] == PAGE_CSP
    assert "Riverside Garden" in r.text and f'href="/notice/{SITE}/sign"' in r.text
    assert 'lang="en"' in world.anonymous.get(f"/notice/{SITE}?lang=en").text


def test_the_sign_opens_this_notice(world: World) -> None:
    r = world.anonymous.get(f"/notice/{SITE}/sign")
    assert r.status_code == 200 and "<svg" in r.text
    assert f"http://testserver/notice/{SITE}" in r.text  # the QR code's URL, labelled


def test_an_unknown_site_is_a_404_page(world: World) -> None:
    r = world.anonymous.get("/notice/no-such-site")
    assert r.status_code == 404 and "<html" in r.text and "no deployment" in r.text
