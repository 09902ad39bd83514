"""Veil's rule data: complete, consistent, and in agreement with the shared research extract."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.rules.conftest import shared_path
from veil.rules.models import Certainty
from veil.rules.ruledata import (
    AndroidFile,
    AppTypesFile,
    ChecksFile,
    InstrumentsFile,
    RuleDataError,
    TaxonomyFile,
    _parse,
    build_rule_data,
    rule_data,
)
from veil.rules.taxonomy import is_biometric


def _shared() -> dict[str, Any]:
    path = shared_path("regulations", "china-pi-rules.yaml")
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def test_all_39_types_and_13_without_pi() -> None:
    data = rule_data()
    assert [t.number for t in data.app_types] == list(range(1, 40))
    no_pi = [t.number for t in data.app_types if t.needs_no_pi]
    assert no_pi == [21, *range(27, 39)]
    assert all(t.necessary for t in data.app_types if not t.needs_no_pi)


def test_biometric_items_are_sensitive() -> None:
    biometric = [i for i in rule_data().items.values() if is_biometric(i)]
    assert {"face", "fingerprint", "voiceprint"} <= {i.key for i in biometric}
    assert all(i.sensitive for i in biometric)


def test_every_check_cites_articles_with_certainty() -> None:
    for info in rule_data().checks.values():
        assert info.citations, info.id
        assert all(isinstance(c.certainty, Certainty) for c in info.citations)
        # no check rests on a fact the research only recalled (docs/check.md says so)
        assert all(c.certainty is not Certainty.RECALLED for c in info.citations), info.id


def test_types_agree_with_shared_extract() -> None:
    shared = {t["number"]: t for t in _shared()["necessary_pi_provisions"]["app_types"]}
    assert len(shared) == 39
    for app_type in rule_data().app_types:
        fact = shared[app_type.number]
        assert app_type.name.zh == fact["name_zh"]
        assert app_type.name.en == fact["name_en"]
        assert app_type.basic_function.zh == fact["basic_function_service_zh"]
        assert app_type.basic_function.en == fact["basic_function_service_en"]
        assert app_type.needs_no_pi is fact["no_personal_information_required"]
        assert [g.zh for g in app_type.necessary] == fact["necessary_pi_zh"]
        assert [g.en for g in app_type.necessary] == fact.get("necessary_pi_en", [])
        assert app_type.certainty.value == fact["certainty"]
        assert list(app_type.sources) == [s.split(" ")[0] for s in fact["sources"]]


def test_every_necessary_item_is_named_in_the_provision_text() -> None:
    """The taxonomy mapping is grounded: each item of a group is named, by its Chinese name or
    an alias, in that group's wording in the shared extract (e.g. 收货人姓名（名称）、地址、联系电话 ->
    name, address, contact_phone)."""
    shared = {t["number"]: t for t in _shared()["necessary_pi_provisions"]["app_types"]}
    items = rule_data().items
    checked = 0
    for app_type in rule_data().app_types:
        wording = shared[app_type.number]["necessary_pi_zh"]
        for group, text in zip(app_type.necessary, wording, strict=True):
            for key in group.items:
                names = (items[key].zh, *items[key].aliases)
                assert any(name in text for name in names), (app_type.number, key, text)
                checked += 1
    assert checked >= 80


def test_every_item_has_a_category_and_biometrics_are_the_sensitive_category() -> None:
    data = rule_data()
    for item in data.items.values():
        assert item.category in data.categories
        if is_biometric(item):
            assert item.sensitive
    assert {i.key for i in data.items.values() if is_biometric(i)} == {
        "face",
        "fingerprint",
        "voiceprint",
        "iris",
    }


def test_no_pi_types_agree_with_shared_counts() -> None:
    counts = _shared()["necessary_pi_provisions"]["counts"]
    ours = [t.number for t in rule_data().app_types if t.needs_no_pi]
    assert ours == counts["types_requiring_no_pi"]
    assert len(ours) == counts["types_requiring_no_pi_count"]


def _shared_articles(section: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(a["article"]): a for a in section["articles"]}


def test_cited_articles_agree_with_shared_extract() -> None:
    shared = _shared()
    tables = {
        "necessary-pi-2021": _shared_articles(shared["necessary_pi_provisions"]),
        "frt-2025": _shared_articles(shared["facial_recognition_measures"]),
        "pipl": _shared_articles(shared["pipl"]),
    }
    checked = 0
    for instrument_id, table in tables.items():
        instrument = rule_data().instruments[instrument_id]
        for number, article in instrument.articles.items():
            assert number in table, f"{instrument_id} Art.{number} not in the extract"
            assert article.certainty.value == table[number]["certainty"], (instrument_id, number)
            for source in article.sources:
                assert any(str(s).startswith(source) for s in table[number]["sources"])
            checked += 1
    assert checked >= 25


def test_spc_and_local_rules_agree_with_shared_extract() -> None:
    shared = _shared()
    data = rule_data()
    spc = shared["spc_face_recognition_provisions"]
    assert all(
        a.certainty.value == spc["certainty"]
        for a in data.instruments["spc-2021"].articles.values()
    )
    items = {str(i["item"]) for i in spc["art2_infringing_acts"]}
    for article in data.instruments["spc-2021"].articles:
        if article.startswith("2("):
            assert article[2:-1] in items
    local = {rule["id"]: rule for rule in shared["local_rules"]}
    pairs = {
        "hangzhou-property-management": ("hangzhou-property-2021", "50(2)"),
        "tianjin-social-credit": ("tianjin-credit-2020", "16"),
        "nanjing-sales-office": ("nanjing-sales-office-2020", "-"),
    }
    for shared_id, (ours, article) in pairs.items():
        fact = local[shared_id]
        assert data.instruments[ours].articles[article].certainty.value == fact["certainty"]
        if "title_zh" in fact:
            assert data.instruments[ours].title_zh == fact["title_zh"]
    assert "50" in str(local["hangzhou-property-management"]["article"])
    assert local["tianjin-social-credit"]["article"] == 16


def _files() -> dict[str, Any]:
    return {
        "instruments": _parse(InstrumentsFile, "instruments.yaml"),
        "checks": _parse(ChecksFile, "checks.yaml"),
        "app_types": _parse(AppTypesFile, "app_types.yaml"),
        "taxonomy": _parse(TaxonomyFile, "taxonomy.yaml"),
        "android": _parse(AndroidFile, "android.yaml"),
    }


def test_inconsistent_rule_data_fails_loudly() -> None:
    files = _files()
    types = files["app_types"]
    first = types.types[0]
    broken_group = first.necessary[0].model_copy(update={"items": ("no_such_item",)})
    broken = first.model_copy(update={"necessary": (broken_group,)})
    files["app_types"] = types.model_copy(update={"types": (broken, *types.types[1:])})
    with pytest.raises(RuleDataError, match="unknown items"):
        build_rule_data(**files)

    files = _files()
    files["app_types"] = types.model_copy(update={"types": types.types[:-1]})
    with pytest.raises(RuleDataError, match="1-39"):
        build_rule_data(**files)

    files = _files()
    checks = files["checks"]
    bad = checks.checks["VEIL-APP-001"].model_copy(update={"cite": ("pipl:999",)})
    files["checks"] = checks.model_copy(update={"checks": {**checks.checks, "VEIL-APP-001": bad}})
    with pytest.raises(RuleDataError, match="pipl:999"):
        build_rule_data(**files)
