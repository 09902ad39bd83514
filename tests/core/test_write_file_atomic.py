"""``write_file_atomic``: the one small atomic write that keys, vault, witness and records share."""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

import pytest

from veil.consent.vault import MasterKey
from veil.core import atomic
from veil.core.atomic import write_file_atomic

SRC = Path(__file__).resolve().parents[2] / "src" / "veil"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_text_or_bytes_with_the_mode_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "keys" / "log.key"
    write_file_atomic(target, "secret\n", 0o600)
    assert target.read_text() == "secret\n" and mode_of(target) == 0o600
    write_file_atomic(target, b"\x00new", 0o644)
    assert target.read_bytes() == b"\x00new" and mode_of(target) == 0o644
    assert list(target.parent.iterdir()) == [target]


def test_the_mode_is_set_before_any_byte_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int, bytes]] = []
    real_replace = os.replace

    def spying_replace(src: str | Path, dst: str | Path) -> None:
        seen.append((Path(src).name, mode_of(Path(src)), Path(src).read_bytes()))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", spying_replace)
    write_file_atomic(tmp_path / "evidence.json", "{}", 0o600)
    ((name, mode, data),) = seen
    # hidden, and not matching "*.json": a reader globbing the folder never sees a partial file
    assert name.startswith(".evidence.json.") and name.endswith(".partial")
    assert mode == 0o600 and data == b"{}"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "witness.json"
    target.write_text("old")

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space"):
        write_file_atomic(target, "new", 0o600)
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_the_master_key_is_written_by_it_and_stays_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Path, int]] = []
    real = atomic.write_file_atomic

    def recording(path: Path, data: str | bytes, mode: int = 0o644) -> None:
        calls.append((path, mode))
        real(path, data, mode)

    monkeypatch.setattr("veil.consent.vault.write_file_atomic", recording)
    key = MasterKey.generate()
    target = tmp_path / "home" / "master.key"
    key.write(target)
    assert calls == [(target, 0o600)] and mode_of(target) == 0o600
    assert MasterKey.from_file(target).secret == key.secret
    assert list(target.parent.iterdir()) == [target]


def test_keys_vault_witness_and_records_share_one_function() -> None:
    import veil.consent.vault
    import veil.ledger.issued
    import veil.ledger.keys
    import veil.ledger.witness

    for module in (veil.ledger.keys, veil.consent.vault, veil.ledger.witness, veil.ledger.issued):
        assert module.write_file_atomic is write_file_atomic, module.__name__


RENAMES = {"replace", "rename", "mkstemp", "NamedTemporaryFile"}
# Publishing a whole folder of tiles is a directory rename, not a file write.
FOLDER_RENAMES = {"ledger/tiles.py"}


def test_only_the_ground_floor_renames_files_into_place() -> None:
    offenders: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        where = path.relative_to(SRC).as_posix()
        if where == "core/atomic.py" or where in FOLDER_RENAMES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            if (
                node.func.attr in RENAMES
                and isinstance(owner, ast.Name)
                and owner.id in {"os", "tempfile"}
            ):
                offenders.append(f"{where}:{node.lineno} {owner.id}.{node.func.attr}")
            elif node.func.attr == "rename":
                offenders.append(f"{where}:{node.lineno} .rename")
    assert offenders == []
