"""``veil ledger checkpoint``'s flags become :class:`CheckpointOptions` in the library (issue 12):
a witness's response file is read, keys may be given inline or as files, and bad combinations
or unreadable files fail closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from veil.errors import BadInputError, ConfigError
from veil.ledger.keys import key_texts
from veil.ledger.note import Signer
from veil.ledger.publish import CheckpointOptions


def test_flags_read_the_response_file_and_a_key_file(tmp_path: Path) -> None:
    vkey = Signer.generate("w.example").verifier().vkey
    (tmp_path / "w.vkey").write_text(vkey + "\n", encoding="utf-8")
    (tmp_path / "response").write_text("— w.example abc\n", encoding="utf-8")
    options = CheckpointOptions.from_flags(
        ["dir"], ["v1"], 1, tmp_path / "response", str(tmp_path / "w.vkey"), None
    )
    assert options == CheckpointOptions(
        witnesses=("dir",),
        witness_vkeys=("v1",),
        quorum=1,
        cosignatures="— w.example abc\n",
        witness_key=vkey,
    )
    assert CheckpointOptions.from_flags(None, None, None, None, None, 3) == CheckpointOptions(
        request_from=3
    )


def test_flags_fail_closed(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="cannot read"):
        CheckpointOptions.from_flags(None, None, None, tmp_path / "missing", "k", None)
    (tmp_path / "response").write_text("x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="needs --witness-key"):
        CheckpointOptions.from_flags(None, None, None, tmp_path / "response", None, None)
    with pytest.raises(ConfigError, match="--witness-key"):
        CheckpointOptions.from_flags(None, None, None, None, str(tmp_path / "nokey"), None)


def test_key_texts_resolve_each_key_or_file(tmp_path: Path) -> None:
    one, two = (Signer.generate(f"{n}.example").verifier().vkey for n in ("a", "b"))
    (tmp_path / "b.vkey").write_text(two + "\n", encoding="utf-8")
    assert key_texts([one, str(tmp_path / "b.vkey")], "--witness-key") == [one, two]
    assert key_texts(None, "--witness-key") == []
    with pytest.raises(ConfigError, match="--log-key"):
        key_texts([str(tmp_path / "none")], "--log-key")
