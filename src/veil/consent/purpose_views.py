"""Declared processing purposes as an operator declares and lists them (``veil consent purpose``).

Both operations return a :class:`~veil.core.shown.ModelsShown` of :class:`Purpose`: the JSON form
and the lines that report it.
"""

from __future__ import annotations

from dataclasses import dataclass

from veil.consent.records import Purpose
from veil.consent.registry import ConsentRegistry
from veil.core.shown import ModelsShown


@dataclass(frozen=True)
class PurposeSpec:
    """A purpose to declare; an ``access`` purpose must name its non-biometric ``alternative``;
    ``replace`` redefines an existing one."""

    name: str
    description: str = ""
    access: bool = False
    alternative: str | None = None
    replace: bool = False


def purpose_line(purpose: Purpose) -> str:
    """``name (access; alternative: ...): description``, as ``veil consent purpose list`` shows."""
    extra = f" (access; alternative: {purpose.alternative})" if purpose.access else ""
    return f"{purpose.name}{extra}{': ' + purpose.description if purpose.description else ''}"


def declare_purpose(registry: ConsentRegistry, spec: PurposeSpec) -> ModelsShown[Purpose]:
    """Declare ``spec`` (refused: an access purpose without an alternative, a name taken)."""
    purpose = registry.declare_purpose(
        spec.name,
        description=spec.description,
        access=spec.access,
        alternative=spec.alternative,
        replace=spec.replace,
    )
    line = f"purpose {purpose.name} declared" + (" (access)" if purpose.access else "")
    return ModelsShown((purpose,), (line,), single=True)


def list_purposes(registry: ConsentRegistry) -> ModelsShown[Purpose]:
    """Every declared purpose, by name, one line each."""
    purposes = registry.purposes()
    return ModelsShown(tuple(purposes), tuple(purpose_line(p) for p in purposes))
