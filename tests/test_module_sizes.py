"""Modules stay small enough to read (issue 12): a thin CLI, no module over 400 lines."""

from __future__ import annotations

from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "veil"

LIMITS = {
    "cli/anonymize.py": 300,
    "cli/batch_view.py": 300,
    "cli/media_flags.py": 300,
    "cli/blur.py": 300,
    "cli/gate.py": 300,
    "cli/stream.py": 300,
    "cli/eval.py": 300,
    "cli/quality.py": 300,
    "batch_run.py": 400,
    "faces_eval.py": 400,
    "rules/deployments.py": 400,
    "rules/deployment_model.py": 400,
    "rules/deployment_checks.py": 400,
    "consent/registry.py": 400,
    "cli/ledger.py": 300,
    "cli/ledger_common.py": 300,
    "cli/ledger_verify.py": 300,
    "cli/witness.py": 300,
    "cli/protocols.py": 300,
    "cli/check.py": 300,
    "cli/output.py": 300,
    "ledger/note.py": 400,
    "ledger/note_keys.py": 400,
    "ledger/publish.py": 400,
    "ledger/bundles.py": 400,
    "ledger/witness_admin.py": 400,
    "rules/reference.py": 400,
}


@pytest.mark.parametrize(("module", "limit"), sorted(LIMITS.items()))
def test_module_is_under_its_line_limit(module: str, limit: int) -> None:
    lines = len((SRC / module).read_text(encoding="utf-8").splitlines())
    assert lines < limit, f"{module}: {lines} lines (limit {limit})"


def test_no_cli_command_glues_flags_with_locals() -> None:
    for path in sorted((SRC / "cli").glob("*.py")):
        assert "locals()" not in path.read_text(encoding="utf-8"), path.name
