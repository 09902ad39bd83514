"""App inventories checked against the necessary-PI scope of their type (39 types).

An inventory (YAML or JSON) declares the app, its type, its functions and, per function, the
personal-information items it collects with the purpose and whether the user can refuse::

    app: Example Maps
    type: 1                      # number, 地图导航类 or "Map navigation"
    collected: [location, departure, destination, address_book]   # optional: all items
    functions:
      - name: navigation
        basic: true              # part of the type's basic function service
        collects:
          - {item: location, purpose: show the route, refusable: false}
      - name: share with friends
        collects:
          - {item: address_book, purpose: pick a friend, refusable: true}

Fail closed: an item is treated as demanded unless ``refusable: true``; unknown keys, items and
types are errors.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, field_validator

from veil.rules.models import CheckInputError, Location, Observation, Report
from veil.rules.ruledata import AppType, PIItem, make_finding, rule_data
from veil.rules.source import SourceFile, read_source, validation_message
from veil.rules.strict import FileModel
from veil.rules.taxonomy import is_biometric, resolve_app_type, resolve_item

APP_CHECKS = ("VEIL-APP-001", "VEIL-APP-002", "VEIL-APP-003", "VEIL-APP-004", "VEIL-APP-005")


class _Strict(FileModel):
    """Inventory parts: unknown keys forbidden, types strict when read from a file."""


class CollectedItem(_Strict):
    """One personal-information item a function collects."""

    item: str = Field(min_length=1, description="taxonomy key, English or Chinese name, alias")
    purpose: str | None = Field(default=None, description="why the function needs it")
    refusable: bool = Field(
        default=False, description="the user can refuse it and still use the function"
    )
    separate_consent: bool = Field(
        default=False, description="a separate consent is asked for this item (sensitive PI)"
    )


class AppFunction(_Strict):
    """A function of the app and what it collects."""

    name: str = Field(min_length=1)
    basic: bool = Field(default=False, description="part of the type's basic function service")
    collects: tuple[CollectedItem, ...] = ()


class Inventory(_Strict):
    """What an app collects, per function; the input of ``veil check app``."""

    app: str = Field(min_length=1)
    type: int | str
    version: str | None = None
    functions: tuple[AppFunction, ...] = Field(min_length=1)
    collected: tuple[str, ...] = Field(
        default=(), description="every item the app collects (privacy policy, SDKs, ...)"
    )

    @field_validator("type")
    @classmethod
    def _number_unquoted(cls, value: int | str) -> int | str:
        if isinstance(value, str) and value.strip().isdigit():
            raise ValueError(
                f"the type number must not be quoted: write {value.strip()}, not {value!r}"
            )
        return value

    @field_validator("functions")
    @classmethod
    def _one_basic(cls, functions: tuple[AppFunction, ...]) -> tuple[AppFunction, ...]:
        if not any(f.basic for f in functions):
            raise ValueError("mark the function(s) of the basic function service with basic: true")
        names = [f.name for f in functions]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"function names must be unique, repeated: {', '.join(duplicates)}")
        return functions


def parse_inventory(source: SourceFile) -> Inventory:
    """Validate a parsed file as an :class:`Inventory` (one-line error when invalid)."""
    try:
        return Inventory.from_file(source.data)
    except ValidationError as exc:
        raise CheckInputError(validation_message(exc, source, "inventory")) from exc


def load_inventory(path: Path) -> tuple[Inventory, SourceFile]:
    """Read and validate an inventory file."""
    source = read_source(path, "inventory")
    return parse_inventory(source), source


def _resolve_all(inventory: Inventory, source: SourceFile) -> None:
    """Resolve every item name up front, so an unknown name is an error with its line."""
    for f_index, function in enumerate(inventory.functions):
        for i_index, collected in enumerate(function.collects):
            try:
                resolve_item(collected.item)
            except CheckInputError as exc:
                line = source.line("functions", f_index, "collects", i_index, "item")
                raise CheckInputError(f"inventory {source.path}: line {line}: {exc}") from exc
    for index, name in enumerate(inventory.collected):
        try:
            resolve_item(name)
        except CheckInputError as exc:
            line = source.line("collected", index)
            raise CheckInputError(f"inventory {source.path}: line {line}: {exc}") from exc


def check_inventory(inventory: Inventory, source: SourceFile) -> Report:
    """Check an inventory against its type's necessary scope and the sensitive-PI rules."""
    data = rule_data()
    try:
        app_type = resolve_app_type(inventory.type)
    except CheckInputError as exc:
        line = source.line("type")
        raise CheckInputError(f"inventory {source.path}: line {line}: {exc}") from exc
    _resolve_all(inventory, source)
    necessary = app_type.necessary_items
    type_cite = (data.type_citation(app_type),)
    findings = []
    explained: set[str] = set()

    def where(*path: str | int) -> Location:
        return Location(path=str(source.path), line=source.line(*path))

    for f_index, function in enumerate(inventory.functions):
        for i_index, collected in enumerate(function.collects):
            item = resolve_item(collected.item)
            explained.add(item.key)
            loc = where("functions", f_index, "collects", i_index)
            label = _item_label(item)
            in_scope = item.key in necessary
            if function.basic and not in_scope and not collected.refusable:
                findings.append(
                    make_finding(
                        "VEIL-APP-001",
                        f"{label} is not necessary for {app_type.label}, but the basic function "
                        f"'{function.name}' cannot be used without it; make it refusable "
                        "or move it to an optional function",
                        loc,
                        item.key,
                        type_cite,
                    )
                )
            if is_biometric(item) and not any(is_biometric(data.items[k]) for k in necessary):
                findings.append(
                    make_finding(
                        "VEIL-APP-002",
                        f"{label} (biometric) is collected by '{function.name}', but no "
                        f"biometric information is in the necessary scope of {app_type.label}; "
                        "it must stay optional, with separate consent",
                        loc,
                        item.key,
                        type_cite,
                    )
                )
            if item.sensitive and not collected.separate_consent:
                findings.append(
                    make_finding(
                        "VEIL-APP-003",
                        f"{label} is sensitive personal information; '{function.name}' collects "
                        "it without separate consent (declare separate_consent: true once a "
                        "separate consent, with necessity and impact, is asked)",
                        loc,
                        item.key,
                    )
                )
            if not (collected.purpose and collected.purpose.strip()):
                findings.append(
                    make_finding(
                        "VEIL-APP-005",
                        f"{label} is collected by '{function.name}' with no stated purpose",
                        loc,
                        item.key,
                    )
                )
    reported: set[str] = set()
    for index, name in enumerate(inventory.collected):
        item = resolve_item(name)
        if item.key not in explained and item.key not in reported:
            reported.add(item.key)
            findings.append(
                make_finding(
                    "VEIL-APP-004",
                    f"{_item_label(item)} is listed as collected, but no function collects it: "
                    "say which function needs it and why, or stop collecting it",
                    where("collected", index),
                    item.key,
                )
            )
    return Report(
        kind="app",
        target=str(source.path),
        subject=inventory.app,
        context=f"{app_type.label}; basic function: {app_type.basic_function.en}",
        observations=_observations(app_type, explained),
        findings=tuple(findings),
        checks_run=APP_CHECKS,
    )


def _item_label(item: PIItem) -> str:
    return f"'{item.key}' ({item.en}, {item.zh})"


def _observations(app_type: AppType, collected: set[str]) -> tuple[Observation, ...]:
    if app_type.needs_no_pi:
        scope = "none: the basic function service needs no personal information"
    else:
        scope = ", ".join(sorted(app_type.necessary_items))
    return (
        Observation(label="necessary scope", detail=scope),
        Observation(label="collected", detail=", ".join(sorted(collected)) or "nothing"),
    )


def check_app(path: Path) -> Report:
    """Read an inventory file and check it (``veil check app``)."""
    inventory, source = load_inventory(path)
    return check_inventory(inventory, source)
