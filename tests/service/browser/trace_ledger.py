"""A real ledger for the trace page tests: a person's consent, a recognition, an operator's read
and someone else's entries, checkpointed and cosigned by a local witness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from veil.ledger import Event, Ledger
from veil.ledger.person_trace import PersonTrace, person_trace, read_event
from veil.ledger.witness import Witness

START = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)


def event(subject: str | None, action: str, minutes: int = 0) -> Event:
    """An event of ``action`` about ``subject`` at ``START`` + ``minutes``."""
    biometric = action in ("identify", "consent_granted")
    return Event.new(
        action=action,
        controller="Riverside Developments",
        system="gate-1",
        data_categories=["biometric.facial_template"] if biometric else ["image.scene"],
        purpose="open the lobby gate for residents who enrolled",
        legal_basis="consent",
        separate_consent=biometric,
        subject_pseudonym=subject,
        consent_ref="consent-lobby-gate-v1" if action == "consent_granted" else None,
        time=START + timedelta(minutes=minutes),
    )


@dataclass(frozen=True)
class TraceFixture:
    trace: PersonTrace
    log_vkey: str
    witness_vkeys: tuple[str, ...]


def make_trace(folder: Path) -> TraceFixture:
    """A cosigned ledger in ``folder`` and the trace of its person ``resident-7``."""
    with Ledger.open(
        f"sqlite:///{folder / 'ledger.db'}", folder / "keys", origin="veil.test/log"
    ) as led:
        me, other = led.pseudonym("resident-7"), led.pseudonym("resident-8")
        led.append(event(me, "consent_granted", 0))
        led.append(event(other, "consent_granted", 1))
        led.append(event(None, "anonymize", 2))
        led.append(event(me, "identify", 3))
        led.append(event(other, "identify", 4))
        alice = led.pseudonym("account:alice")
        led.append(read_event(led, "operator", alice, me, counts={"records": 2}))
        led.append(event(None, "anonymize", 6))
        witnesses = [Witness.create(folder / f"w{i}", f"w{i}.example") for i in (1, 2)]
        for w in witnesses:
            w.add_log(led.vkey)
        led.checkpoint(witnesses)
        trace = person_trace(led, me)
        return TraceFixture(trace, led.vkey, tuple(w.vkey for w in witnesses))
