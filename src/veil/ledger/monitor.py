"""A monitor of the trace ledger: replay every entry and report policy findings.

:func:`replay` is pure: it takes the leaves (index and exact bytes), the stored checkpoints and
any split-view evidence from witnesses, and returns a :class:`MonitorReport` whose findings name
the rule and the event (leaf index and event id). Rules:

- ``identify-without-consent``: an ``identify`` event for a subject and purpose with no consent in
  force at the event's time (granted before it, not yet withdrawn or expired);
- ``identify-after-withdrawal``: the same, where a consent for it had been withdrawn or expired;
- ``transfer-without-recipient``: a ``transfer`` or ``disclose`` event naming no recipient;
- ``unreadable-entry``: a leaf that is not a JSON event object;
- ``no-checkpoint``, ``uncheckpointed-entries``, ``checkpoint-size-decrease``,
  ``unwitnessed-checkpoint``: gaps in the checkpoints;
- ``split-view``: two checkpoints of one size with different roots, or witness evidence.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from veil.errors import VerificationError

if TYPE_CHECKING:
    from veil.ledger import Ledger

RULES = (
    "identify-without-consent",
    "identify-after-withdrawal",
    "transfer-without-recipient",
    "unreadable-entry",
    "no-checkpoint",
    "uncheckpointed-entries",
    "checkpoint-size-decrease",
    "unwitnessed-checkpoint",
    "split-view",
)


@dataclass(frozen=True)
class Finding:
    """One policy finding: the rule, the leaf index and event id it concerns, and why."""

    rule: str
    detail: str
    index: int | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class CheckpointInfo:
    """What the monitor needs of a stored checkpoint."""

    id: int
    size: int
    root: bytes
    cosignatures: int


@dataclass(frozen=True)
class MonitorReport:
    """The findings of one replay of ``size`` entries."""

    size: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """Whether the monitor found nothing."""
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values: tree size and findings."""
        return {"size": self.size, "findings": [asdict(f) for f in self.findings]}

    def lines(self) -> list[str]:
        """The text form: one line per finding (where, event id, rule, detail), then a count."""
        out = []
        for f in self.findings:
            where = f"entry {f.index}" if f.index is not None else "log"
            out.append(f"{where} {f.event_id or '-'} {f.rule}: {f.detail}")
        return [*out, f"{self.size} entries, {len(self.findings)} finding(s)"]

    def error(self) -> VerificationError:
        """The error (exit 3) ``veil ledger monitor`` raises when there is any finding."""
        return VerificationError(f"the monitor found {len(self.findings)} policy finding(s)")


@dataclass
class _Consent:
    subject: str
    purposes: frozenset[str]
    start: datetime
    end: datetime | None = None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _purposes(value: Any) -> frozenset[str]:
    return frozenset(p.strip() for p in str(value or "").split(",") if p.strip())


def _consents(events: Sequence[tuple[int, dict[str, Any]]]) -> dict[str, _Consent]:
    by_ref: dict[str, _Consent] = {}
    for _, ev in events:
        ref, when = ev.get("consent_ref"), _time(ev.get("time"))
        if not isinstance(ref, str) or when is None:
            continue
        if ev.get("action") == "consent_granted" and ev.get("subject"):
            by_ref.setdefault(ref, _Consent(str(ev["subject"]), _purposes(ev.get("purpose")), when))
        elif ev.get("action") in ("consent_withdrawn", "consent_expired") and ref in by_ref:
            c = by_ref[ref]
            c.end = when if c.end is None else min(c.end, when)
    return by_ref


def _entry_findings(events: Sequence[tuple[int, dict[str, Any]]]) -> list[Finding]:
    consents = list(_consents(events).values())
    out: list[Finding] = []
    for index, ev in events:
        eid = ev.get("id") if isinstance(ev.get("id"), str) else None
        action = ev.get("action")
        if action in ("transfer", "disclose") and not ev.get("recipient"):
            out.append(
                Finding("transfer-without-recipient", f"{action} names no recipient", index, eid)
            )
        if action != "identify" or not ev.get("subject"):
            continue
        when, purpose = _time(ev.get("time")), str(ev.get("purpose", ""))
        if when is None:
            continue
        mine = [c for c in consents if c.subject == ev["subject"] and purpose in c.purposes]
        if any(c.start <= when and (c.end is None or when < c.end) for c in mine):
            continue
        if any(c.end is not None and c.end <= when for c in mine):
            out.append(
                Finding(
                    "identify-after-withdrawal", f"consent for {purpose!r} ended before", index, eid
                )
            )
        else:
            out.append(
                Finding(
                    "identify-without-consent", f"no consent in force for {purpose!r}", index, eid
                )
            )
    return out


def _checkpoint_findings(size: int, checkpoints: Sequence[CheckpointInfo]) -> list[Finding]:
    out: list[Finding] = []
    if not checkpoints:
        return [Finding("no-checkpoint", f"{size} entries and no checkpoint")] if size else []
    roots: dict[int, bytes] = {}
    prev: CheckpointInfo | None = None
    for cp in checkpoints:
        if prev is not None and cp.size < prev.size:
            out.append(
                Finding(
                    "checkpoint-size-decrease", f"checkpoint {cp.id} ({cp.size}) after {prev.size}"
                )
            )
        if roots.setdefault(cp.size, cp.root) != cp.root:
            out.append(
                Finding("split-view", f"checkpoint {cp.id}: another root for size {cp.size}")
            )
        if cp.cosignatures == 0:
            out.append(Finding("unwitnessed-checkpoint", f"checkpoint {cp.id} has no cosignature"))
        prev = cp
    latest = max(cp.size for cp in checkpoints)
    if size > latest:
        out.append(
            Finding(
                "uncheckpointed-entries",
                f"entries {latest}..{size - 1} are in no checkpoint",
                latest,
            )
        )
    return out


def replay(
    entries: Iterable[tuple[int, bytes]],
    checkpoints: Sequence[CheckpointInfo] = (),
    evidence: Sequence[Mapping[str, Any]] = (),
) -> MonitorReport:
    """Replay ``entries`` (leaf index, leaf bytes) and report every policy finding."""
    events: list[tuple[int, dict[str, Any]]] = []
    bad: list[Finding] = []
    size = 0
    for index, data in entries:
        size = max(size, index + 1)
        try:
            ev = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            ev = None
        if not isinstance(ev, dict):
            bad.append(Finding("unreadable-entry", "not a JSON event object", index))
            continue
        events.append((index, ev))
    found = bad + _entry_findings(events) + _checkpoint_findings(size, checkpoints)
    for rec in evidence:
        found.append(
            Finding("split-view", f"witness evidence for {rec.get('origin')}: {rec.get('reason')}")
        )
    found.sort(key=lambda f: (f.index is None, f.index or 0, f.rule))
    return MonitorReport(size, tuple(found))


def monitor_ledger(ledger: Ledger, evidence: Sequence[Mapping[str, Any]] = ()) -> MonitorReport:
    """Replay the whole ledger (and witnesses' split-view evidence) with :func:`replay`."""
    cps = [CheckpointInfo(c.id, c.size, c.root, len(c.cosignatures)) for c in ledger.checkpoints()]
    leaves = ((leaf.index, leaf.data) for leaf in ledger.log.iter_leaves())
    return replay(leaves, cps, evidence)
