"""The reference listings as library calls: ``veil check types`` and ``items`` print exactly what
:mod:`veil.rules.reference` returns, so the service can show the same rows."""

from __future__ import annotations

import json

import pytest

from veil.cli.main import main
from veil.rules.reference import app_types, pi_items


def veil(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``veil ARGS`` in-process; return exit status, stdout and stderr."""
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out, err


@pytest.mark.parametrize(("command", "listing"), [("types", app_types), ("items", pi_items)])
def test_cli_prints_the_library_listing(
    capsys: pytest.CaptureFixture[str], command: str, listing: object
) -> None:
    result = listing()  # type: ignore[operator]
    code, out, _ = veil(capsys, "check", command)
    assert code == 0 and out.splitlines() == result.lines()
    code, out, _ = veil(capsys, "check", command, "--json")
    assert code == 0 and json.loads(out) == result.as_list()


def test_app_types_rows_and_lines_agree() -> None:
    listing = app_types()
    assert [r["number"] for r in listing.rows] == list(range(1, 40))
    assert len(listing.lines()) == 39
    for row, line in zip(listing.rows, listing.lines(), strict=True):
        assert line.split()[0] == str(row["number"]) and row["name_zh"] in line
        assert line.endswith(f"[{row['certainty']}]")
        items = ", ".join(row["necessary_items"]) or "(none needed)"
        assert f": {items} [" in line


def test_items_mark_sensitive_ones() -> None:
    listing = pi_items()
    face = next(r for r in listing.rows if r["key"] == "face")
    assert face["sensitive"] is True
    assert any(line.startswith("face [biometric SENSITIVE] ") for line in listing.lines())
