"""The reference listings of ``veil check types`` and ``veil check items``: the 39 app types and
the personal-information items, each a typed result with ``as_list()`` for JSON and ``lines()``
for text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Listing:
    """Rows of reference data: JSON-ready records and their one-line text forms."""

    rows: tuple[dict[str, Any], ...]
    text: tuple[str, ...]

    def as_list(self) -> list[dict[str, Any]]:
        """The JSON form (``--json``): one object per row."""
        return list(self.rows)

    def lines(self) -> list[str]:
        """The text form: one line per row."""
        return list(self.text)


def app_types() -> Listing:
    """The 39 app types: number, names, basic function, necessary items, certainty, citation."""
    from veil.rules.ruledata import rule_data

    data = rule_data()
    rows: list[dict[str, Any]] = []
    text: list[str] = []
    for t in data.app_types:
        rows.append(
            {
                "number": t.number,
                "name_zh": t.name.zh,
                "name_en": t.name.en,
                "basic_function_zh": t.basic_function.zh,
                "basic_function_en": t.basic_function.en,
                "necessary_items": sorted(t.necessary_items),
                "certainty": t.certainty.value,
                "citation": data.type_citation(t).label,
            }
        )
        items = ", ".join(sorted(t.necessary_items)) or "(none needed)"
        text.append(
            f"{t.number:>2} {t.name.zh} {t.name.en} ({t.basic_function.en}): {items} "
            f"[{t.certainty.value}]"
        )
    return Listing(tuple(rows), tuple(text))


def pi_items() -> Listing:
    """The personal-information items: key, category, sensitivity, names and aliases."""
    from veil.rules.ruledata import rule_data

    rows: list[dict[str, Any]] = []
    text: list[str] = []
    for key, item in sorted(rule_data().items.items()):
        rows.append(item.model_dump(mode="json"))
        flag = " SENSITIVE" if item.sensitive else ""
        aliases = f" (also: {', '.join(item.aliases)})" if item.aliases else ""
        text.append(f"{key} [{item.category}{flag}] {item.en} / {item.zh}{aliases}")
    return Listing(tuple(rows), tuple(text))
