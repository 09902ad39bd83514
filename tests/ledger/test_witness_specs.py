"""Witnesses named on a command line or in settings: a URL is an HTTP witness, a path a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from veil.errors import ConfigError
from veil.ledger.witness import Witness
from veil.ledger.witness_http import HttpWitness, LocalWitness, open_cosigning_witnesses


def test_urls_and_folders_become_the_right_witnesses(tmp_path: Path) -> None:
    Witness.create(tmp_path / "w", "witness.example")
    ws = open_cosigning_witnesses(["https://w.example/witness/", str(tmp_path / "w")])
    assert isinstance(ws[0], HttpWitness) and ws[0].label == "https://w.example/witness"
    assert isinstance(ws[1], LocalWitness) and ws[1].witness.name == "witness.example"
    assert open_cosigning_witnesses([]) == []


def test_a_bad_url_or_a_missing_folder_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not http"):
        open_cosigning_witnesses(["ftp://w.example"])
    with pytest.raises(ConfigError):
        open_cosigning_witnesses([str(tmp_path / "none")])
