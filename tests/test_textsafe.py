"""Terminal escapes in user text are shown, never sent: safe_text, safe_markup, safe_json and
the refusal of control characters in identifiers, then through the CLI (`veil check app`,
`veil consent list`/`show`/`grant`, error lines)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from veil.cli.main import error_line, main
from veil.consent.registry import ConsentError
from veil.consent.session import open_registry
from veil.errors import BadInputError, ConfigError
from veil.textsafe import refuse_controls, safe_json, safe_markup, safe_text

REPO = Path(__file__).resolve().parents[1]
OSC = "X\x1b]0;pwned\x07"
# C0, DEL and C1 controls, and the bidirectional marks, embeddings, overrides, isolates and line
# and paragraph separators that can reorder or break what a terminal shows.
BIDI_AND_SEPARATORS = [0x61C, 0x200E, 0x200F, *range(0x2028, 0x202F), *range(0x2066, 0x206A)]
CONTROLS = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0), *BIDI_AND_SEPARATORS)]


def assert_clean(text: str) -> None:
    bad = sorted({f"U+{ord(c):04X}" for c in text if c in CONTROLS and c != "\n"})
    assert not bad, f"control characters reached the terminal: {bad}"


@given(st.text())
def test_safe_text_never_lets_a_control_through(value: str) -> None:
    out = safe_text(value)
    assert not any(c in CONTROLS for c in out)
    assert all(c in out for c in value if c not in CONTROLS)  # printable text is kept


def test_safe_text_shows_escapes() -> None:
    assert safe_text(OSC) == "X\\x1b]0;pwned\\x07"
    assert safe_text("a\nb\tc\x7f\x9b\u202e") == "a\\nb\\tc\\x7f\\x9b\\u202e"
    assert safe_text("a\nb\tc\x1b", multiline=True) == "a\nb\tc\\x1b"
    assert safe_text("plain text, 中文, 2026-01-02") == "plain text, 中文, 2026-01-02"


def test_safe_markup_escapes_rich_markup() -> None:
    from rich.console import Console

    console = Console(record=True, width=200, color_system="truecolor", force_terminal=True)
    console.print(safe_markup("[bold red]fake[/] \x1b[2J"))
    rendered = console.export_text()
    assert "[bold red]fake[/]" in rendered and "\\x1b[2J" in rendered


@given(st.text())
def test_safe_json_keeps_the_data(value: str) -> None:
    text = safe_json(json.dumps({"v": value}, ensure_ascii=False))
    assert not any(c in CONTROLS for c in text)
    assert json.loads(text) == {"v": value}


def test_refuse_controls_names_the_field_in_one_line() -> None:
    refuse_controls({"subject": "member-7", "note": None})
    with pytest.raises(ConfigError) as info:
        refuse_controls({"description": f"a {OSC}"}, ConfigError, "purpose x: ")
    message = str(info.value)
    assert message.startswith("purpose x: description") and "\\x1b" in message
    assert_clean(message)
    with pytest.raises(BadInputError):
        refuse_controls({"guardian": type("G", (), {"__init__": _init})()})


def _init(self: object) -> None:
    self.reference = "parent\u202e3"  # type: ignore[attr-defined]


def test_error_lines_are_neutralised() -> None:
    assert error_line(BadInputError(f"cannot read {OSC}.jpg")) == (
        "veil: error: cannot read X\\x1b]0;pwned\\x07.jpg"
    )


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out, err


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "html"])
def test_check_app_prints_no_escape(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    inventory = yaml.safe_load((REPO / "docs" / "examples" / "app-shop.yaml").read_text())
    inventory["app"] = OSC
    inventory["functions"][0]["name"] = "[bold]buy\x1b[2J\u202e"
    inventory["functions"][0]["collects"][5]["purpose"] = "friends\x9b31m"
    path = tmp_path / "app.json"
    path.write_text(json.dumps(inventory))
    code, out, err = run(capsys, "check", "app", path, "--format", fmt)
    assert code == 1, err
    assert_clean(out + err)
    if fmt == "text":
        assert "X\\x1b]0;pwned\\x07" in out
    if fmt in ("json", "sarif"):
        assert OSC in out.replace("\\u0007", "\x07").replace("\\u001b", "\x1b")
        assert json.loads(out)  # still valid JSON with the same data
        if fmt == "json":
            assert json.loads(out)["subject"] == OSC


def grant_args(notice: Path, subject: str) -> list[str | Path]:
    return ["consent", "grant", "-s", subject, "--controller", "Shop", "-p", "greet",
            "--notice-version", "v1", "--notice-file", notice, "--method", "app"]  # fmt: skip


def test_consent_refuses_control_characters_in_identifiers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    notice = tmp_path / "notice.txt"
    notice.write_text("We greet members who opt in.")
    assert run(capsys, "consent", "purpose", "add", "greet")[0] == 0
    code, out, err = run(capsys, *grant_args(notice, f"member{OSC}"))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("veil: error: invalid consent: subject ")
    assert_clean(err)
    code, _, err = run(capsys, *grant_args(notice, "member-7"), "--under-14", "--guardian", OSC)
    assert code == 1 and "guardian.reference" in err
    assert_clean(err)
    code, _, err = run(capsys, "consent", "purpose", "add", "gate", "--description", OSC)
    assert code == 2 and "description" in err
    assert_clean(err)
    code, out, _ = run(capsys, "consent", "list", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run(capsys, "consent", "purpose", "list", "--json")
    assert [p["name"] for p in json.loads(out)] == ["greet"]


def test_consent_list_and_show_neutralise_stored_subjects(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database written before the refusal may hold such subjects: printing stays safe."""
    from veil.consent import registry as registry_module

    notice = tmp_path / "notice.txt"
    notice.write_text("We greet members who opt in.")
    assert run(capsys, "consent", "purpose", "add", "greet")[0] == 0
    with pytest.MonkeyPatch.context() as patch:  # the old behaviour: no refusal
        patch.setattr(registry_module, "refuse_controls", lambda *a, **k: None, raising=False)
        code, out, err = run(capsys, *grant_args(notice, f"[red]{OSC}"), "--json")
    assert code == 0, err
    record_id = json.loads(out)["record_id"]
    monkeypatch.setenv("COLUMNS", "300")  # no folding inside the escapes
    for args in (["consent", "list"], ["consent", "show", record_id]):
        code, out, err = run(capsys, *args)
        assert code == 0, err
        assert_clean(out)
        assert "[red]" in out and "\\x1b" in out and "\\x07" in out  # shown, not obeyed
    code, out, _ = run(capsys, "consent", "list", "--json")
    assert json.loads(out)[0]["subject"] == f"[red]{OSC}"


def test_refusal_leaves_the_registry_unchanged(tmp_path: Path) -> None:
    with open_registry() as registry:
        registry.declare_purpose("greet")
        with pytest.raises(ConsentError):
            registry.grant(
                subject="a\x00b",
                controller="Shop",
                purposes=["greet"],
                notice_version="v1",
                notice_digest="sha256:" + "0" * 64,
                collection_method="app",
            )
        assert registry.records() == []
