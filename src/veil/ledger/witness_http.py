"""Witnesses over HTTP (c2sp.org/tlog-witness clients) and checkpoints under an N-of-M policy.

:func:`checkpoint_with_policy` signs the current tree head, asks every witness (local folders
and HTTP witnesses alike) to cosign it, checks each cosignature against the trusted witness keys,
and stores (publishes) the checkpoint only once ``quorum`` distinct witnesses cosigned it. A 409
answer is retried once from the size the witness reports (its ``text/x.tlog.size`` body).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from veil.errors import ConfigError, VeilError, VerificationError
from veil.ledger.issued import record_issued
from veil.ledger.note import (
    Checkpoint,
    NoteError,
    Verifier,
    cosigner_verifier,
    parse_note,
    parse_vkey,
    sign_checkpoint,
)
from veil.ledger.witness import STATUS_TEXT, AddCheckpointRequest, Witness, WitnessError

if TYPE_CHECKING:
    from veil.ledger import Ledger

MAX_RESPONSE_BYTES = 64 * 1024


class WitnessUnreachableError(VeilError):
    """An HTTP witness that did not answer (connection refused, timeout, bad status): a
    configuration or availability problem, not evidence about the log (exit 2)."""

    exit_code = 2


class CosigningWitness(Protocol):
    """What :func:`checkpoint_with_policy` needs of a witness."""

    @property
    def label(self) -> str:
        """How logs and reports name the witness."""
        ...

    def add_checkpoint(self, body: str) -> str:
        """Send an add-checkpoint request body; returns the cosignature lines, or raises
        :class:`WitnessError`."""
        ...


class HttpWitness:
    """A tlog-witness at ``url`` (the prefix before ``/add-checkpoint``)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"witness URL {url!r} is not http:// or https://")
        self.url = url.rstrip("/")
        self.timeout = timeout

    @property
    def label(self) -> str:
        """The witness's URL (how logs and reports name it)."""
        return self.url

    def add_checkpoint(self, body: str) -> str:
        """POST the request; return the cosignature lines, or raise :class:`WitnessError`."""
        req = urllib.request.Request(
            self.url + "/add-checkpoint",
            data=body.encode("utf-8"),
            method="POST",
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return str(resp.read(MAX_RESPONSE_BYTES).decode("utf-8"))
        except urllib.error.HTTPError as exc:
            text = exc.read(MAX_RESPONSE_BYTES).decode("utf-8", "replace").strip()
            if exc.code not in STATUS_TEXT:
                raise WitnessUnreachableError(f"witness {self.url}: HTTP {exc.code}") from None
            latest = None
            if exc.code == 409 and exc.headers.get("Content-Type", "").startswith(
                "text/x.tlog.size"
            ):
                latest = int(text) if text.isascii() and text.isdigit() else None
            raise WitnessError(exc.code, f"witness {self.url}: {text[:200]}", latest) from None
        except (urllib.error.URLError, OSError, UnicodeDecodeError) as exc:
            raise WitnessUnreachableError(f"witness {self.url}: {exc}") from None


class LocalWitness:
    """A witness folder on this machine, as a :class:`CosigningWitness`."""

    def __init__(self, witness: Witness) -> None:
        self.witness = witness

    @property
    def label(self) -> str:
        """The witness's folder (how logs and reports name it)."""
        return str(self.witness.folder)

    def add_checkpoint(self, body: str) -> str:
        """Ask the witness in the folder to cosign; returns the cosignature lines."""
        return self.witness.add_checkpoint(body)


def open_cosigning_witnesses(specs: Sequence[str]) -> list[CosigningWitness]:
    """Witnesses named by URL (``http(s)://...``: an HTTP witness) or folder (a local one)."""
    return [HttpWitness(w) if "://" in w else LocalWitness(Witness.open(Path(w))) for w in specs]


@dataclass(frozen=True)
class WitnessOutcome:
    """One witness's answer: the cosigner key it verified under, or why it failed."""

    witness: str
    cosigner: str | None
    detail: str
    exit_code: int = 0


@dataclass(frozen=True)
class PolicyCheckpoint:
    """A checkpoint published under a witness policy."""

    checkpoint_id: int
    size: int
    note: str
    quorum: int
    outcomes: tuple[WitnessOutcome, ...]

    @property
    def cosigners(self) -> int:
        """How many distinct witnesses cosigned."""
        return len({o.cosigner for o in self.outcomes if o.cosigner})


def _verified_lines(text: str, lines: str, keys: Sequence[Verifier]) -> tuple[str, list[str]]:
    try:
        sigs = parse_note(text + "\n" + lines).signatures
    except NoteError as exc:
        raise VerificationError(f"malformed cosignature: {exc}") from None
    for key in keys:
        mine = [s for s in sigs if (s.name, s.key_id) == (key.name, key.key_id)]
        if mine:
            for s in mine:
                key.verify(text.encode("utf-8"), s.raw)
            return key.vkey, [s.line for s in mine]
    raise VerificationError("no cosignature from a trusted witness key")


def exc_code(exc: Exception) -> int:
    """The exit status an error would give (3 for a bad note, which is a verification error)."""
    return exc.exit_code if isinstance(exc, VeilError) else 3


def _ask(ledger: Ledger, w: CosigningWitness, old: int, size: int, note: str) -> str:
    def request(from_size: int) -> str:
        proof = ledger.log.consistency_proof(from_size, size)
        return AddCheckpointRequest(from_size, tuple(proof), note).render()

    try:
        return w.add_checkpoint(request(old))
    except WitnessError as exc:
        if exc.status != 409 or exc.latest_size is None or not 0 <= exc.latest_size <= size:
            raise
        return w.add_checkpoint(request(exc.latest_size))


def checkpoint_with_policy(
    ledger: Ledger,
    witnesses: Sequence[CosigningWitness],
    witness_keys: Sequence[str | Verifier],
    quorum: int,
) -> PolicyCheckpoint:
    """Sign the head, collect cosignatures, and publish once ``quorum`` witnesses cosigned."""
    if not 0 <= quorum <= len(witnesses):
        raise ConfigError(f"a quorum of {quorum} cannot be met by {len(witnesses)} witness(es)")
    try:
        keys = [cosigner_verifier(parse_vkey(k) if isinstance(k, str) else k) for k in witness_keys]
    except NoteError as exc:
        raise ConfigError(f"witness key: {exc}") from None
    keys += [cosigner_verifier(w.witness.vkey) for w in witnesses if isinstance(w, LocalWitness)]
    head = ledger.head()
    note = sign_checkpoint(Checkpoint(ledger.origin, head.size, head.root), ledger.keys.signer)
    text = note[: note.index("\n\n") + 1]
    last = ledger.latest_checkpoint()
    old = last.size if last is not None and last.size <= head.size else 0
    outcomes: list[WitnessOutcome] = []
    lines: dict[str, list[str]] = {}
    for w in witnesses:
        try:
            vkey, got = _verified_lines(text, _ask(ledger, w, old, head.size, note), keys)
        except (VeilError, NoteError) as exc:
            detail = " ".join(str(exc).split())
            outcomes.append(WitnessOutcome(w.label, None, detail, exc_code(exc)))
            continue
        lines.setdefault(vkey, got)
        outcomes.append(WitnessOutcome(w.label, vkey, "cosigned"))
    if len(lines) < quorum:
        failed = [o for o in outcomes if o.cosigner is None]
        why = "; ".join(f"{o.witness}: {o.detail}" for o in failed)
        # exit 3 when a refusal is evidence about the log, else 2 (fix the configuration)
        worst = max((o.exit_code for o in failed), default=3)
        raise (VerificationError if worst >= 3 else ConfigError)(
            f"witness policy not met: {len(lines)} of {quorum} needed cosignatures "
            f"(checkpoint not published){': ' + why if why else ''}"
        )
    cid = ledger.store.add_checkpoint(head.size, head.root, note)
    if lines:
        ledger.store.add_cosignatures(cid, [ln for got in lines.values() for ln in got])
    cp = ledger.store.get_checkpoint(cid)
    if cp is not None:
        record_issued(ledger.key_dir, cp)
    full = ledger.note_with_cosignatures(cp) if cp is not None else note
    return PolicyCheckpoint(cid, head.size, full, quorum, tuple(outcomes))
