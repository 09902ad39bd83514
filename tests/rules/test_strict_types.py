"""Values read from inventories and deployments keep their written type: no silent conversion."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.rules.conftest import compliant, compliant_inventory, gate, write_yaml
from veil.rules.apps import check_app
from veil.rules.deployments import check_deployment
from veil.rules.models import CheckInputError
from veil.rules.taxonomy import resolve_app_type


def inventory() -> dict[str, Any]:
    return compliant_inventory(resolve_app_type(6))


def test_quoted_type_number_is_refused(tmp_path: Path) -> None:
    data = inventory()
    data["type"] = "6"
    path = tmp_path / "app.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CheckInputError) as info:
        check_app(path)
    message = str(info.value)
    assert str(path) in message and "type" in message and "quoted" in message
    assert "\n" not in message


@pytest.mark.parametrize("value", [1, 0, "true", "yes"])
def test_basic_must_be_a_boolean(tmp_path: Path, value: object) -> None:
    data = inventory()
    data["functions"][0]["basic"] = value
    path = write_yaml(tmp_path / "app.yaml", data)
    with pytest.raises(CheckInputError, match=r"line \d+: functions\.0\.basic: .*valid boolean"):
        check_app(path)


def test_refusable_must_be_a_boolean(tmp_path: Path) -> None:
    data = inventory()
    data["functions"][0]["collects"][0]["refusable"] = 1
    with pytest.raises(CheckInputError, match=r"functions\.0\.collects\.0\.refusable"):
        check_app(write_yaml(tmp_path / "app.yaml", data))


@pytest.mark.parametrize("value", [True, "30", 30.5])
def test_retention_days_must_be_an_integer(tmp_path: Path, value: object) -> None:
    body = compliant()
    body["retention_days"] = value
    path = write_yaml(tmp_path / "site.yaml", {"deployment": body})
    with pytest.raises(CheckInputError) as info:
        check_deployment(path)
    message = str(info.value)
    assert str(path) in message and "deployment.retention_days" in message
    assert "valid integer" in message and "\n" not in message


@pytest.mark.parametrize(
    ("field", "value"),
    [("signage", 1), ("people_enrolled", True), ("match_threshold", "0.5"), ("purpose", 5)],
)
def test_gate_fields_are_strict(tmp_path: Path, field: str, value: object) -> None:
    body = gate()
    body[field] = value
    with pytest.raises(CheckInputError, match=f"veil_gate\\.{field}"):
        check_deployment(write_yaml(tmp_path / "gate.yaml", {"veil_gate": body}))


def test_yaml_dates_and_written_types_still_work(tmp_path: Path) -> None:
    body = compliant()
    body["records_kept_years"] = 3  # an integer where a number is wanted is fine
    assert check_deployment(write_yaml(tmp_path / "ok.yaml", {"deployment": body})).compliant
    body["purpose"] = datetime.date(2024, 1, 1)  # YAML writes it unquoted: a date, not text
    with pytest.raises(CheckInputError, match=r"deployment\.purpose"):
        check_deployment(write_yaml(tmp_path / "date.yaml", {"deployment": body}))


def test_cli_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    body = compliant()
    body["retention_days"] = True
    path = write_yaml(tmp_path / "site.yaml", {"deployment": body})
    result = subprocess.run(
        [sys.executable, "-m", "veil.cli.main", "check", "deployment", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "retention_days" in lines[0] and str(path) in lines[0]
