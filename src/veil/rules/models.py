"""Typed objects of the compliance checks: citations, findings and reports.

Every finding carries the citations it rests on, and every citation its certainty (how the fact
was established by the research behind Veil's rule data), so reports never show a rule without
saying how sure Veil is of it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from veil.errors import BadInputError


class CheckInputError(BadInputError):
    """An inventory, APK or deployment file that cannot be checked (exit status 2).

    ``veil check`` keeps exit status 1 for "findings", so bad input gets 2.
    """

    exit_code = 2


class Certainty(StrEnum):
    """How a rule fact was established, strongest first."""

    VERIFIED_FROM_SOURCE = "verified-from-source"
    VERIFIED_SECONDARY = "verified-secondary"
    RECALLED = "recalled"

    @property
    def rank(self) -> int:
        """0 for the strongest certainty, larger for weaker ones."""
        return list(Certainty).index(self)


class Level(StrEnum):
    """Severity of a finding; errors and warnings make the check fail."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def fails(self) -> bool:
        """True when a finding of this level makes the target non-compliant."""
        return self is not Level.NOTE


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Citation(_Frozen):
    """One article of one instrument, with the certainty of Veil's knowledge of it."""

    instrument: str = Field(description="instrument id in Veil's rule data, e.g. 'pipl'")
    instrument_title: str
    article: str = Field(description="article number, '5(1)' for an item; '-' when none exists")
    text: str
    certainty: Certainty
    sources: tuple[str, ...] = ()
    note: str | None = None
    url: str | None = None

    @property
    def label(self) -> str:
        """Short human label, e.g. 'PIPL Art. 29'."""
        if self.article == "-":
            return self.instrument_title
        return f"{self.instrument_title} Art. {self.article}"


class CheckInfo(_Frozen):
    """A check Veil runs: stable id, title, default level and the articles it rests on."""

    id: str
    title: str
    level: Level
    citations: tuple[Citation, ...]
    reading: str | None = None
    city_en: str | None = None
    city_zh: str | None = None

    @property
    def certainty(self) -> Certainty:
        """The weakest certainty among the check's citations."""
        return max((c.certainty for c in self.citations), key=lambda c: c.rank)


class Location(_Frozen):
    """Where in the checked file a finding points (1-based line when known)."""

    path: str
    line: int | None = None


class Finding(_Frozen):
    """One problem found, with the check that found it and where."""

    check_id: str
    title: str
    level: Level
    message: str
    citations: tuple[Citation, ...]
    certainty: Certainty
    location: Location
    subject: str | None = Field(default=None, description="item, permission or field concerned")
    reading: str | None = None


class Observation(_Frozen):
    """A fact the check established on the way (shown in reports; not a finding)."""

    label: str
    detail: str


class Report(_Frozen):
    """The result of one ``veil check`` run."""

    kind: Literal["app", "apk", "deployment"]
    target: str = Field(description="path of the checked file")
    subject: str = Field(description="app or deployment name")
    context: str = Field(description="one line: the app type or the deployment scenario")
    observations: tuple[Observation, ...] = ()
    findings: tuple[Finding, ...] = ()
    checks_run: tuple[str, ...] = Field(default=(), description="ids of every check evaluated")

    @property
    def compliant(self) -> bool:
        """True when no finding is an error or a warning."""
        return not any(f.level.fails for f in self.findings)

    @property
    def exit_code(self) -> int:
        """0 when compliant, 1 with findings that fail."""
        return 0 if self.compliant else 1
