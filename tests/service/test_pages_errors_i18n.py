"""Errors from library code on zh-CN pages are Chinese: every known message has a catalog
entry (no English sentence is left on the page), the patterns match what the library really
raises, and an unknown message is still shown, marked as English."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from tests.consent.conftest import BoxDetector, ColourEmbedder
from tests.service.api_world import World, world_fixture  # noqa: F401
from tests.service.page_session import signed_in
from veil.service import enrollment
from veil.service.pages.errors import KNOWN, translate_error
from veil.service.pages.i18n import translations

ZH = translations("zh-CN")
EN = translations("en")
# one real message per known pattern, as the library and the routers word them
EXAMPLES = [
    "a consent needs the notice shown to the person first",
    "choose a photo of your face to upload",
    "choose in_progress, fulfilled or refused",
    "choose what to check and the file to upload",
    "for a child under 14, give the parent's or guardian's name",
    "name the person and the purpose, and choose a photo",
    "name the person the link is for",
    "tick the box to give this consent, or simply do not",
    "no consent record of yours yet: ask the operator",
    "no such checkpoint",
    "no such verify job",
    "the notice changed since you read it: read it again",
    "invalid camera name 'gate 1': letters, digits, - _ . (at most 64)",
    "missing or wrong CSRF token (X-CSRF-Token or csrf_token)",
    "this needs the role admin or operator",
    "sign in or present a token",
    "this person link is unknown, expired or revoked",
    "no consent record 'cr_123'",
    "no consent recorded for subject 'visitor-9': grant one first",
    "subject 'visitor-1' has no valid consent for purpose 'gate-entry' (expired, wrong purpose)",
    "consent cr_1 is already withdrawn",
    "consent cr_1 is no longer valid",
    "purpose 'visitor-count' is already declared (use --replace)",
    "purpose 'gate': Value error, an access purpose must name the non-biometric alternative",
    "purpose 'Bad.Name': String should match pattern '^[a-z0-9][a-z0-9_.-]{0,63}$'",
    "a refusal must state its reason (PIPL Art. 50)",
    "a note is at most 2000 characters",
    "no rights request 'rr_9'",
    "rights request rr_9 changed meanwhile: try again",
    "no deployment 'lobby'",
    "invalid deployment name 'Lobby': lower-case letters, digits, -",
    "no camera 'gate-1'",
    "the health URL is not a valid URL",
    "the health URL must be an http:// or https:// URL",
    "the upload is not a JPEG, PNG or WebP image",
    "GIF images are not accepted: send JPEG, PNG or WebP",
    "the image has 50000000 pixels; at most 40000000 accepted",
    "face.png: no face found; use a clear, frontal photo of one person",
    "face.png: 2 faces found; an enrollment photo must show exactly one face",
    "face.png: the face is too small (30 px, at least 40 px needed)",
    "cannot read face templates without the master key (the template vault)",
    "enrollment needs the template vault (the master key)",
    "an APK check needs app_type (veil check types)",
    "APK shop.apk is not an Android package (not a ZIP archive)",
    "APK shop.apk has no AndroidManifest.xml",
    "APK shop.apk is corrupt: classes.dex fails its CRC check",
    "deployment site.yaml: the file must hold exactly one top-level key, 'deployment' or "
    "'veil_gate' (see docs/check.md)",
    "inventory app.yaml must be a mapping (key: value) at the top level",
    "inventory app.yaml: app: Field required; type: Field required",
    "no answer: ConnectTimeout",
    "unexpected answer: HTTP 404",
    "the endpoint did not report this camera",
]
ENGLISH = re.compile(r"\b[A-Za-z]{2,}\b[ ,]+\b[A-Za-z]{2,}\b")  # two English words in a row


def test_every_known_pattern_has_an_example_that_it_matches() -> None:
    hit = {i for i, (p, _) in enumerate(KNOWN) for e in EXAMPLES if p.fullmatch(e)}
    assert hit == set(range(len(KNOWN))), [
        KNOWN[i][0].pattern for i in set(range(len(KNOWN))) - hit
    ]


@pytest.mark.parametrize("message", EXAMPLES)
def test_a_known_error_is_chinese_with_its_names_kept(message: str) -> None:
    text = translate_error(message, ZH)
    assert text is not None and re.search(r"[\u4e00-\u9fff]", text), message
    assert not ENGLISH.search(text.replace("veil check types", "")), text
    for name in re.findall(r"'[^' ]*'", message)[:1]:
        if "pattern" not in message and "top-level" not in message:
            assert name in text
    assert translate_error(message, EN) is not None  # English pages keep the original


def test_an_unknown_error_is_none() -> None:
    assert translate_error("something nobody wrote down", ZH) is None


def _png() -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((160, 160, 3), 128, np.uint8)).save(out, "PNG")
    return out.getvalue()


def test_errors_of_real_library_calls_show_in_chinese_on_zh_pages(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        enrollment, "models",
        lambda: (BoxDetector([[10, 10, 110, 110], [120, 10, 170, 60]]), ColourEmbedder()),
    )  # fmt: skip
    c, csrf = signed_in(world, "zhops")
    c.get("/console?lang=zh-CN")  # the language switch, remembered
    subject = world.seed.subjects[0]
    pages = [
        c.post("/console/purposes", data={"name": "visitor-count", "csrf_token": csrf}),
        c.post("/console/purposes", data={"name": "Bad.Name", "csrf_token": csrf}),
        c.post("/console/purposes", data={"name": "gate", "access": "yes", "csrf_token": csrf}),
        c.post("/console/consents/cr_nothere/withdraw", data={"csrf_token": csrf}),
        c.post("/console/cameras/none/remove", data={"csrf_token": csrf}),
        c.post("/console/rights/rr_none", data={"state": "refused", "csrf_token": csrf}),
        c.post(
            "/console/enrollment",
            data={"subject_id": subject, "purpose": "returning-visitor", "csrf_token": csrf},
            files={"photo": ("face.png", _png(), "image/png")},
        ),
        c.post(
            "/console/enrollment",
            data={"subject_id": "nobody", "purpose": "returning-visitor", "csrf_token": csrf},
            files={"photo": ("face.png", _png(), "image/png")},
        ),
        c.post(
            "/console/checks", data={"kind": "apk", "app_type": "28", "csrf_token": csrf},
            files={"file": ("shop.apk", b"not a zip", "application/octet-stream")},
        ),
        c.post("/console/purposes", data={"name": "x"}),  # no CSRF token
    ]  # fmt: skip
    for r in pages:
        assert r.status_code in (400, 403, 404), r.text
        found = re.search(r"<p data-error-detail( lang=\"en\")?>([^<]*)</p>", r.text)
        assert found is not None, r.text
        assert found.group(1) is None, found.group(2)  # translated, not marked English
        assert re.search(r"[\u4e00-\u9fff]", found.group(2)), found.group(2)
        assert not ENGLISH.search(found.group(2)), found.group(2)
    english = c.post(
        "/console/purposes?lang=en", data={"name": "visitor-count", "csrf_token": csrf}
    )
    assert "already declared (use --replace)" in english.text  # English pages: the original
