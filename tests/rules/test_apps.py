"""`veil check app`: inventories of all 39 types, each finding firing and not, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.rules.conftest import EXAMPLES, compliant_inventory, violating_inventory, write_yaml
from veil.rules.apps import check_app
from veil.rules.models import CheckInputError, Level
from veil.rules.ruledata import AppType, rule_data
from veil.rules.taxonomy import resolve_app_type, resolve_item

TYPES = rule_data().app_types

# nine levels of nine aliases: 387 million values once expanded
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


def _ids(report: object) -> list[tuple[str, str | None]]:
    return sorted((f.check_id, f.subject) for f in report.findings)  # type: ignore[attr-defined]


@pytest.mark.parametrize("app_type", TYPES, ids=lambda t: f"type{t.number}")
def test_compliant_inventory_of_every_type(tmp_path: Path, app_type: AppType) -> None:
    path = write_yaml(tmp_path / "app.yaml", compliant_inventory(app_type))
    report = check_app(path)
    assert report.findings == ()
    assert report.compliant and report.exit_code == 0
    assert str(app_type.number) in report.context


@pytest.mark.parametrize("app_type", TYPES, ids=lambda t: f"type{t.number}")
def test_violating_inventory_of_every_type(tmp_path: Path, app_type: AppType) -> None:
    path = write_yaml(tmp_path / "app.yaml", violating_inventory(app_type))
    report = check_app(path)
    assert _ids(report) == [
        ("VEIL-APP-001", "address_book"),
        ("VEIL-APP-002", "face"),
        ("VEIL-APP-003", "face"),
    ]
    assert report.exit_code == 1
    first = next(f for f in report.findings if f.check_id == "VEIL-APP-001")
    assert first.level is Level.ERROR
    labels = [c.label for c in first.citations]
    assert f"Necessary-PI Provisions (2021) Art. 5({app_type.number})" in labels
    assert "Necessary-PI Provisions (2021) Art. 4" in labels
    assert first.location.line is not None


@pytest.mark.parametrize(
    "app_type", [t for t in TYPES if t.necessary_items], ids=lambda t: f"type{t.number}"
)
def test_necessary_item_made_non_refusable_is_fine_but_foreign_type_item_is_not(
    tmp_path: Path, app_type: AppType
) -> None:
    """An item necessary for another type only is still non-necessary here."""
    foreign = sorted(
        {k for t in TYPES for k in t.necessary_items}
        - app_type.necessary_items
        - {k for k, i in rule_data().items.items() if i.sensitive}
    )[0]
    inventory = compliant_inventory(app_type)
    inventory["functions"][0]["collects"].append({"item": foreign, "purpose": "more"})
    report = check_app(write_yaml(tmp_path / "app.yaml", inventory))
    assert _ids(report) == [("VEIL-APP-001", foreign)]


def test_non_necessary_item_is_fine_when_refusable_or_outside_the_basic_function(
    tmp_path: Path,
) -> None:
    inventory = compliant_inventory(resolve_app_type(1))
    inventory["functions"][0]["collects"].append(
        {"item": "address_book", "purpose": "invite", "refusable": True}
    )
    inventory["functions"][1]["collects"].append(
        {"item": "device_id", "purpose": "fraud checks", "refusable": False}
    )
    assert check_app(write_yaml(tmp_path / "a.yaml", inventory)).findings == ()


def test_sensitive_necessary_item_needs_separate_consent(tmp_path: Path) -> None:
    inventory = compliant_inventory(resolve_app_type(5))  # bank card number is necessary
    for collected in inventory["functions"][0]["collects"]:
        collected["separate_consent"] = False
    report = check_app(write_yaml(tmp_path / "a.yaml", inventory))
    assert _ids(report) == [("VEIL-APP-003", "bank_card_number")]


def test_biometric_with_separate_consent_still_warns_but_no_consent_error(
    tmp_path: Path,
) -> None:
    inventory = compliant_inventory(resolve_app_type(4))
    inventory["functions"][1]["collects"].append(
        {"item": "指纹", "purpose": "login", "refusable": True, "separate_consent": True}
    )
    report = check_app(write_yaml(tmp_path / "a.yaml", inventory))
    assert _ids(report) == [("VEIL-APP-002", "fingerprint")]
    assert report.findings[0].level is Level.WARNING
    assert report.exit_code == 1


def test_unexplained_and_purposeless_items(tmp_path: Path) -> None:
    inventory = compliant_inventory(resolve_app_type(30))
    inventory["collected"] = ["email_address", "device_id", "IMEI"]
    inventory["functions"][1]["collects"][0]["purpose"] = "  "
    report = check_app(write_yaml(tmp_path / "a.yaml", inventory))
    assert _ids(report) == [("VEIL-APP-004", "device_id"), ("VEIL-APP-005", "email_address")]
    unexplained = next(f for f in report.findings if f.check_id == "VEIL-APP-004")
    assert unexplained.location.line == 5  # the first listing of device_id


@pytest.mark.parametrize(
    "name", [6, "网上购物类", "网上购物", "Online shopping", "online-shopping"]
)
def test_type_by_number_chinese_or_english_name(tmp_path: Path, name: object) -> None:
    inventory = compliant_inventory(resolve_app_type(6))
    inventory["type"] = name
    report = check_app(write_yaml(tmp_path / "a.yaml", inventory))
    assert "type 6 Online shopping" in report.context and report.compliant


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("手机号", "phone_number"),
        ("Mobile Number", "phone_number"),
        ("人脸", "face"),
        ("IMEI", "device_id"),
        ("phone_number", "phone_number"),
        ("通讯录", "address_book"),
    ],
)
def test_items_by_key_alias_or_chinese_name(name: str, key: str) -> None:
    assert resolve_item(name).key == key


def test_unknown_type_is_a_clear_error(tmp_path: Path) -> None:
    for bad, message in [(40, "numbered 1 to 39"), ("Space travel", "unknown app type")]:
        inventory = compliant_inventory(resolve_app_type(1))
        inventory["type"] = bad
        with pytest.raises(CheckInputError, match=message) as info:
            check_app(write_yaml(tmp_path / "a.yaml", inventory))
        assert info.value.exit_code == 2
        assert "line 2" in str(info.value)


def test_unknown_item_is_a_clear_error_with_line_and_suggestion(tmp_path: Path) -> None:
    inventory = compliant_inventory(resolve_app_type(1))
    inventory["functions"][1]["collects"][0]["item"] = "phone numbr"
    with pytest.raises(CheckInputError, match=r"unknown personal-information item 'phone numbr'"):
        check_app(write_yaml(tmp_path / "a.yaml", inventory))
    try:
        check_app(tmp_path / "a.yaml")
    except CheckInputError as exc:
        assert "did you mean phone_number" in str(exc)
        assert "line " in str(exc)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("app: [unclosed\n", "invalid YAML at line"),
        ("- just\n- a list\n", "must be a mapping"),
        ("app: A\napp: B\ntype: 1\nfunctions: []\n", "duplicate key 'app'"),
        ("app: A\ntype: 1\nfunctions: []\n", "functions"),
        ("app: A\ntype: 1\nfunctions:\n  - name: x\n", "basic: true"),
        ("app: A\ntype: 1\nfunctoins: []\n", "functoins"),
        (
            "app: A\ntype: 1\nfunctions:\n  - {name: x, basic: true, collects: [{item: face, "
            "refusable: maybe}]}\n",
            "refusable",
        ),
        ("app: A\ntype: [1]\nfunctions:\n  - {name: x, basic: true}\n", "type"),
        (ALIAS_BOMB, "alias bomb"),
    ],
)
def test_malformed_inventories(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CheckInputError, match=message) as info:
        check_app(path)
    assert info.value.exit_code == 2
    assert "\n" not in str(info.value)


def test_malformed_json_non_utf8_and_missing(tmp_path: Path) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"app": "A", "type": 1,}', encoding="utf-8")
    with pytest.raises(CheckInputError, match="invalid JSON at line 1"):
        check_app(bad_json)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("app: caf\xe9\n".encode("latin-1"))
    with pytest.raises(CheckInputError, match="not UTF-8"):
        check_app(latin)
    with pytest.raises(CheckInputError, match="does not exist"):
        check_app(tmp_path / "missing.yaml")


def test_json_inventory_with_lines(tmp_path: Path) -> None:
    inventory = violating_inventory(resolve_app_type(3))
    path = tmp_path / "app.json"
    path.write_text(json.dumps(inventory, indent=2, ensure_ascii=False), encoding="utf-8")
    report = check_app(path)
    assert {f.check_id for f in report.findings} == {"VEIL-APP-001", "VEIL-APP-002", "VEIL-APP-003"}
    lines = path.read_text(encoding="utf-8").splitlines()
    first = next(f for f in report.findings if f.check_id == "VEIL-APP-001")
    assert first.location.line is not None
    assert "address_book" in "".join(lines[first.location.line - 1 : first.location.line + 1])


def test_examples_in_docs() -> None:
    assert check_app(EXAMPLES / "app-maps.yaml").compliant
    assert check_app(EXAMPLES / "app-news.json").compliant
    shop = check_app(EXAMPLES / "app-shop.yaml")
    assert _ids(shop) == [
        ("VEIL-APP-001", "address_book"),
        ("VEIL-APP-002", "face"),
        ("VEIL-APP-003", "face"),
        ("VEIL-APP-004", "device_id"),
    ]
