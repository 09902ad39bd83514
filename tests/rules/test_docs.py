"""docs/check.md stays true: its examples run and give the results it shows."""

from __future__ import annotations

import re
from pathlib import Path

from tests.rules.conftest import EXAMPLES
from veil.rules.apps import check_app
from veil.rules.deployments import DEPLOYMENT_RULES, LOCAL_RULES, check_deployment
from veil.rules.ruledata import rule_data

DOC = EXAMPLES.parent / "check.md"


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_doc_examples_are_the_example_files_and_give_the_documented_verdicts(
    tmp_path: Path,
) -> None:
    blocks = {block.split("\n", 1)[0]: block for block in _yaml_blocks()}
    shop = next(b for b in _yaml_blocks() if "app: Example Shop" in b)
    assert shop == (EXAMPLES / "app-shop.yaml").read_text(encoding="utf-8")
    assert len(check_app(EXAMPLES / "app-shop.yaml").findings) == 4
    for first_line, expect_compliant in (("deployment:", True), ("veil_gate:", True)):
        path = tmp_path / "site.yaml"
        path.write_text(blocks[first_line], encoding="utf-8")
        assert check_deployment(path).compliant is expect_compliant


def test_doc_lists_every_check() -> None:
    text = DOC.read_text(encoding="utf-8")
    for check_id in rule_data().checks:
        assert f"| {check_id} |" in text, check_id
    assert len(DEPLOYMENT_RULES) + len(LOCAL_RULES) == text.count("| VEIL-DEP-") + text.count(
        "| VEIL-LOCAL-"
    )
