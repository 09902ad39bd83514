"""Shared helpers of the rules tests: the shared data folder and inventory generators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.conftest import shared_data
from veil.rules.ruledata import AppType, rule_data

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "docs" / "examples"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data, skipping the test when it is absent."""
    return shared_data(*parts)


def compliant_inventory(app_type: AppType) -> dict[str, Any]:
    """An inventory of ``app_type`` that keeps to its necessary scope."""
    items = rule_data().items
    basic = [
        {
            "item": key,
            "purpose": f"needed for {app_type.basic_function.en}",
            "refusable": False,
            "separate_consent": items[key].sensitive,
        }
        for key in sorted(app_type.necessary_items)
    ]
    return {
        "app": f"Compliant {app_type.name.en}",
        "type": app_type.number,
        "collected": [*sorted(app_type.necessary_items), "email_address"],
        "functions": [
            {"name": "basic service", "basic": True, "collects": basic},
            {
                "name": "newsletter",
                "collects": [{"item": "email_address", "purpose": "send news", "refusable": True}],
            },
        ],
    }


def violating_inventory(app_type: AppType) -> dict[str, Any]:
    """An inventory of ``app_type`` that demands the address book and asks for a face."""
    inventory = compliant_inventory(app_type)
    inventory["app"] = f"Greedy {app_type.name.en}"
    inventory["functions"][0]["collects"].append(
        {"item": "address_book", "purpose": "growth", "refusable": False}
    )
    inventory["functions"].append(
        {
            "name": "face login",
            "collects": [{"item": "face", "purpose": "login", "refusable": True}],
        }
    )
    return inventory


def write_yaml(path: Path, data: Any) -> Path:
    """Write ``data`` as YAML (Unicode kept) and return the path."""
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def compliant() -> dict[str, Any]:
    """A deployment meeting every national obligation Veil checks."""
    return {
        "name": "Test gate",
        "scenario": "residential_gate",
        "public_place": False,
        "purpose": "let enrolled residents in",
        "purpose_category": "access_control",
        "legal_basis": "consent",
        "separate_consent": True,
        "consent_withdrawal": True,
        "signage": True,
        "processing_rules_published": True,
        "notice_covers": [
            "processor",
            "purpose",
            "method",
            "retention",
            "necessity_and_impact",
            "rights",
        ],
        "face_only_entry": False,
        "alternatives": ["card"],
        "storage": "device",
        "internet_transfer": False,
        "retention_days": 30,
        "delete_on_withdrawal": True,
        "impact_assessment": True,
        "records_kept_years": 3,
        "people_stored": 100,
        "filed_with_cac": False,
        "minors_under_14": True,
        "guardian_consent": True,
        "private_spaces": [],
        "non_consenting": "anonymize",
        "security_measures": ["encryption", "access_control", "audit"],
        "recognition_area_marked": True,
    }


def gate() -> dict[str, Any]:
    """The ``veil_gate:`` body of docs/examples/veil-gate.yaml."""
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / "veil-gate.yaml").read_text("utf-8"))
    body: dict[str, Any] = data["veil_gate"]
    return body
