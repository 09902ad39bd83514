"""``veil serve`` from the shell: accounts and tokens, exit statuses, and the settings it runs with."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from veil.cli.main import main
from veil.service.accounts import authenticate
from veil.service.db import ServiceDb
from veil.service.settings import ServiceSettings
from veil.service.tokens import resolve_token


def veil(
    capsys: pytest.CaptureFixture[str], *args: str, stdin: str | None = None
) -> tuple[int, str, str]:
    old = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.stdin = old
    out, err = capsys.readouterr()
    return code, out, err


def test_user_add_generates_a_password_once_or_reads_stdin(
    capsys: pytest.CaptureFixture[str], isolated_veil_home: Path
) -> None:
    code, out, _ = veil(capsys, "serve", "user", "add", "ada", "--role", "admin")
    assert code == 0
    password = re.search(r"password \(shown once\): (\S+)", out)
    assert password is not None and len(password.group(1)) >= 20
    code, out, _ = veil(capsys, "serve", "user", "add", "olga", "--role", "operator",
                        "--password-stdin", stdin="a long enough password\n")  # fmt: skip
    assert code == 0 and "password" not in out.replace("operator account", "")
    db = ServiceDb(f"sqlite:///{isolated_veil_home / 'veil.db'}")
    assert authenticate(db, "ada", password.group(1), "cli") is not None
    assert authenticate(db, "olga", "a long enough password", "cli") is not None
    code, out, _ = veil(capsys, "serve", "user", "list")
    assert [line.split("\t")[:2] for line in out.splitlines()] == [
        ["ada", "admin"],
        ["olga", "operator"],
    ]
    db.close()


@pytest.mark.parametrize(
    ("args", "stdin", "code"),
    [(("user", "add", "x1", "--role", "root"), None, 1),
     (("user", "add", "x1", "--role", "auditor", "--password-stdin"), "short\n", 1),
     (("user", "add", "x1", "--role", "auditor", "--password-stdin"), "", 1),
     (("token", "revoke", "nope"), None, 1),
     (("token", "create", "--role", "admin", "--label", "x"), None, 1),
     (("user", "list", "--db", "mysql://x"), None, 2)],
)  # fmt: skip
def test_bad_input_is_one_line_and_an_exit_status(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], stdin: str | None, code: int
) -> None:
    got, _, err = veil(capsys, "serve", *args, stdin=stdin)
    assert got == code and err.startswith("veil: error: ") and err.count("\n") == 1


def test_token_create_list_revoke(
    capsys: pytest.CaptureFixture[str], isolated_veil_home: Path
) -> None:
    code, out, _ = veil(capsys, "serve", "token", "create", "--role", "auditor", "--label", "ci")
    assert code == 0
    secret = re.search(r"secret \(shown once\): (vt_\S+)", out)
    token_id = re.search(r"token (\w+) ", out)
    assert secret is not None and token_id is not None
    db = ServiceDb(f"sqlite:///{isolated_veil_home / 'veil.db'}")
    assert resolve_token(db, secret.group(1)) is not None
    _, out, _ = veil(capsys, "serve", "token", "list")
    assert out.split("\t")[:3] == [token_id.group(1), "auditor", "live"] and "vt_" not in out
    assert veil(capsys, "serve", "token", "revoke", token_id.group(1))[0] == 0
    assert resolve_token(db, secret.group(1)) is None
    db.close()


def test_serve_runs_with_flags_over_the_config_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[ServiceSettings] = []
    monkeypatch.setattr("veil.service.app.serve", lambda settings, workers: ran.append(settings))
    cfg = tmp_path / "veil.config"
    cfg.write_text('host = "0.0.0.0"\nport = 9000\n', encoding="utf-8")
    assert veil(capsys, "serve", "--config", str(cfg), "--port", "9001")[0] == 0
    assert [(s.host, s.port) for s in ran] == [("0.0.0.0", 9001)]


def test_serve_refuses_a_certificate_without_its_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = veil(capsys, "serve", "--certfile", str(tmp_path / "c.pem"))
    assert code == 2 and "keyfile" in err and err.count("\n") == 1


def test_a_db_given_before_the_subcommand_is_the_one_used(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, isolated_veil_home: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    assert veil(capsys, "serve", "--db", url, "user", "add", "ada", "--role", "admin")[0] == 0
    assert veil(capsys, "serve", "user", "list", "--db", url)[1].startswith("ada\tadmin")
    assert veil(capsys, "serve", "user", "list")[1] == ""  # not in the default database


def test_listings_show_escapes_in_labels_never_send_them(
    capsys: pytest.CaptureFixture[str], isolated_veil_home: Path
) -> None:
    label = "ci\x1b]0;pwned\x07\tfake"
    assert veil(capsys, "serve", "token", "create", "--role", "auditor", "--label", label)[0] == 0
    _, out, _ = veil(capsys, "serve", "token", "list")
    assert "\x1b" not in out and "\x07" not in out
    assert out.rstrip("\n").split("\t")[1:] == ["auditor", "live", "ci\\x1b]0;pwned\\x07\\tfake"]
