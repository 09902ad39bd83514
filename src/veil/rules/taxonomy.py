"""The personal-information taxonomy: names -> items -> categories, and app-type lookup.

An inventory may name an item by its key (``phone_number``), its English or Chinese name, or an
alias (``手机号``, ``mobile number``); an app type by number, Chinese name (``地图导航类`` or
``地图导航``) or English name (``Map navigation``). Unknown names are errors, never ignored.
"""

from __future__ import annotations

import difflib
import functools
import re

from veil.rules.models import CheckInputError
from veil.rules.ruledata import AppType, PIItem, RuleData, rule_data

BIOMETRIC = "biometric"
_SEPARATORS = re.compile(r"[\s\-_'’`.,，、()（）]+")


def normalize(name: str) -> str:
    """Fold case and drop spaces, hyphens, underscores and punctuation for name matching."""
    return _SEPARATORS.sub("", name).casefold()


@functools.cache
def _item_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for key, item in rule_data().items.items():
        for name in (key, item.en, item.zh, *item.aliases):
            index.setdefault(normalize(name), key)
    return index


def resolve_item(name: str) -> PIItem:
    """The taxonomy item an inventory names; :class:`CheckInputError` when unknown."""
    if not isinstance(name, str) or not name.strip():
        raise CheckInputError(f"personal-information item must be a non-empty name, got {name!r}")
    key = _item_index().get(normalize(name))
    if key is None:
        close = difflib.get_close_matches(normalize(name), list(_item_index()), n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(sorted({_item_index()[c] for c in close}))}?)"
        raise CheckInputError(
            f"unknown personal-information item {name!r}{hint if close else ''}; "
            "`veil check items` lists the known items"
        )
    return rule_data().items[key]


def is_biometric(item: PIItem) -> bool:
    """True for face, fingerprint, voiceprint, iris and other biometric items."""
    return item.category == BIOMETRIC


def items_in_category(category: str, data: RuleData | None = None) -> list[PIItem]:
    """Every taxonomy item of a category, by key."""
    data = data or rule_data()
    return [item for key, item in sorted(data.items.items()) if item.category == category]


def resolve_app_type(value: object) -> AppType:
    """The app type named by number (1-39), Chinese name or English name."""
    data = rule_data()
    if isinstance(value, bool):
        raise CheckInputError(f"app type must be a number 1-39 or a type name, got {value!r}")
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        number = int(value)
        if not 1 <= number <= 39:
            raise CheckInputError(f"unknown app type {number}: types are numbered 1 to 39")
        return data.app_type(number)
    if not isinstance(value, str) or not value.strip():
        raise CheckInputError(f"app type must be a number 1-39 or a type name, got {value!r}")
    wanted = normalize(value)
    for app_type in data.app_types:
        names = {normalize(app_type.name.en), normalize(app_type.name.zh)}
        names.add(normalize(app_type.name.zh.removesuffix("类")))
        if wanted in names:
            return app_type
    raise CheckInputError(
        f"unknown app type {value!r}; `veil check types` lists the 39 types "
        "(use the number, the Chinese or the English name)"
    )
