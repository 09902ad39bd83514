"""A witness folder seen by the one who runs it (``veil witness init``, ``add-log``, ``cosign``,
``show``, and the evidence ``veil ledger monitor`` reads): each operation is one call with a typed
result, ``as_dict()`` for JSON and ``lines()`` for text, so the CLI and the service show the same.

The protocol itself (consistency checks, cosigning, evidence) is :class:`veil.ledger.witness.Witness`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veil.ledger.witness import Witness


@dataclass(frozen=True)
class WitnessIdentity:
    """A witness's key name, cosigner verifier key and folder."""

    name: str
    vkey: str
    folder: Path

    def as_dict(self) -> dict[str, Any]:
        """The JSON form ``veil witness init --json`` prints."""
        return {"name": self.name, "vkey": self.vkey, "dir": str(self.folder)}

    def lines(self) -> list[str]:
        """The text form: the vkey alone, so ``veil witness init > w.vkey`` keeps it."""
        return [self.vkey]


@dataclass(frozen=True)
class TrustedLog:
    """A log the witness now trusts, named by its origin."""

    origin: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON form ``veil witness add-log --json`` prints."""
        return {"origin": self.origin}

    def lines(self) -> list[str]:
        """The text form."""
        return [f"trusting log {self.origin}"]


@dataclass(frozen=True)
class Cosigned:
    """The cosignature line(s) a witness gave for one add-checkpoint request."""

    cosignature: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON form ``veil witness cosign --json`` prints."""
        return {"ok": True, "cosignature": self.cosignature}

    def lines(self) -> list[str]:
        """The text form: the cosignature lines, as a witness response file holds them."""
        return self.cosignature.splitlines()


@dataclass(frozen=True)
class WitnessState:
    """What a witness holds: its identity, the logs it trusts and its split-view evidence."""

    name: str
    vkey: str
    logs: dict[str, dict[str, Any]]
    evidence: tuple[dict[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        """The JSON form ``veil witness show --json`` prints (each log: vkey, size, root)."""
        logs = {o: {k: e[k] for k in ("vkey", "size", "root")} for o, e in self.logs.items()}
        return {"name": self.name, "vkey": self.vkey, "logs": logs, "evidence": list(self.evidence)}

    def lines(self) -> list[str]:
        """The text form: identity, each log's cosigned size and root, then the evidence."""
        out = [f"witness: {self.name}", f"vkey: {self.vkey}"]
        for origin, e in sorted(self.logs.items()):
            out.append(f"log {origin}: cosigned size {e['size']} root {e['root'] or '-'}")
        out.append(f"split-view evidence: {len(self.evidence)} record(s)")
        out += [f"  {rec['time']} {rec['origin']}: {rec['reason']}" for rec in self.evidence]
        return out


def init_witness(folder: Path | None, name: str) -> WitnessIdentity:
    """Create a witness key and state in ``folder`` (default ``$VEIL_HOME/witness``)."""
    w = Witness.create(folder, name)
    return WitnessIdentity(w.name, w.vkey, w.folder)


def trust_log(folder: Path | None, log_vkey: str) -> TrustedLog:
    """Have the witness in ``folder`` trust the log with this verifier key (text)."""
    return TrustedLog(Witness.open(folder).add_log(log_vkey))


def cosign_request(folder: Path | None, body: bytes | str) -> Cosigned:
    """Handle one add-checkpoint request body; :class:`WitnessError` when it is refused."""
    return Cosigned(Witness.open(folder).add_checkpoint(body))


def witness_state(folder: Path | None) -> WitnessState:
    """The state of the witness in ``folder``."""
    w = Witness.open(folder)
    return WitnessState(w.name, w.vkey, w.logs(), tuple(w.evidence()))


def open_witnesses(folders: Sequence[str | Path]) -> list[Witness]:
    """The local witnesses kept in these folders."""
    return [Witness.open(Path(f)) for f in folders]


def witness_evidence(folders: Sequence[str | Path]) -> list[dict[str, Any]]:
    """Every split-view evidence record held by the witnesses in these folders, in order."""
    return [rec for w in open_witnesses(folders) for rec in w.evidence()]
