"""The console's compliance check as a Veil page: a deployment with findings reads in Chinese on
the zh-CN page (titles, sentences, citations) and in the check's own English on the English
page, with where each finding points, the counts by level, and the HTML, SARIF and JSON files
to download exactly as ``veil check`` renders them."""

from __future__ import annotations

import base64
import html
import itertools
import re
from pathlib import Path

import pytest
import yaml

from tests.service.api_world import World, world_fixture  # noqa: F401
from tests.service.page_session import signed_in
from veil.rules.deployments import check_deployment
from veil.rules.report import OutputFormat, render

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "docs" / "examples" / "deployment-residential-gate.yaml"
)
# the compliant example gate, without separate consent and without a way to withdraw it
FAULTY = {
    **yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["deployment"],
    "separate_consent": False, "consent_withdrawal": False,
}  # fmt: skip
_NAMES = itertools.count()
DOWNLOAD = re.compile(
    r'<a href="data:([^"]+?);base64,([^"]+)" download="([^"]+)" data-download="(\w+)"'
)


def _check(world: World, lang: str) -> str:
    c, csrf = signed_in(world, f"checker-{next(_NAMES)}")
    body = yaml.safe_dump({"deployment": FAULTY}).encode()
    r = c.post(
        f"/console/checks?lang={lang}", data={"kind": "deployment", "csrf_token": csrf},
        files={"file": ("gate.yaml", body, "application/yaml")},
    )  # fmt: skip
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]  # a Veil page
    return r.text


def test_the_chinese_page_shows_the_findings_in_chinese(world: World) -> None:
    page = _check(world, "zh-CN")
    assert '<html lang="zh-CN">' in page and 'data-compliant="no"' in page
    assert 'data-level-count="error">问题： 2<' in page
    for check, title, sentence in (
        ("VEIL-DEP-001", "人脸信息处理未取得单独同意", "人脸信息处理以同意为依据，却未取得单独同意。"),
        ("VEIL-DEP-002", "没有便捷的撤回同意方式", "个人无法便捷地撤回同意。"),
    ):  # fmt: skip
        item = page.split(f'data-check="{check}"')[1].split("</li>")[0]
        assert sentence in item and 'lang="en"' not in item.split("<code>")[0], item
        assert title in item, item
        assert "《中华人民共和国个人信息保护法》第" in item  # cited as a Chinese reader cites
        assert "gate.yaml" in item  # where it points
    assert "No separate consent for face processing" not in page
    assert "separate consent is asked" not in page


def test_the_english_page_keeps_the_checks_words(world: World) -> None:
    page = _check(world, "en")
    assert '<html lang="en">' in page
    item = page.split('data-check="VEIL-DEP-001"')[1].split("</li>")[0]
    assert "No separate consent for face processing" in item
    assert "face processing rests on consent, but no separate consent is asked" in item
    assert "PIPL Art." in item and "gate.yaml" in item
    assert "2 findings (2 errors): not compliant" in page  # the CLI's summary line
    assert "人脸" not in page


def test_the_downloads_are_the_files_veil_check_writes(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _check(world, "zh-CN")
    got = {m.group(4): (m.group(1), m.group(3), m.group(2)) for m in DOWNLOAD.finditer(page)}
    assert set(got) == {"html", "sarif", "json"}
    monkeypatch.chdir(tmp_path)
    Path("gate.yaml").write_text(yaml.safe_dump({"deployment": FAULTY}), encoding="utf-8")
    report = check_deployment(Path("gate.yaml"))
    for fmt, media in (("html", "text/html"), ("sarif", "application/sarif+json"),
                       ("json", "application/json")):  # fmt: skip
        kind, name, data = got[fmt]
        assert kind.startswith(media) and name == f"veil-check-deployment.{fmt}"
        assert base64.b64decode(html.unescape(data)).decode() == render(report, OutputFormat(fmt))
