"""Offline proofs: c2sp.org/tlog-proof@v1 texts, and Veil's JSON bundles of them.

A tlog-proof holds the entry's index, its inclusion path and the checkpoint (with cosignatures)
it is proved against. Veil puts the event's exact leaf bytes in the proof's ``extra`` line, so
one ``.tlog-proof`` is self-contained: hash the extra bytes as an RFC 9162 leaf, walk the path,
compare with the checkpoint's root, check the signatures. The extra data is never trusted on its
own; it is only accepted when it hashes into a signed tree.

A bundle (``veil ledger prove`` / ``trace``) is JSON: ``{"format": "veil-ledger-bundle/v1",
"kind": "event"|"trace", "subject": pseudonym (trace), "entries": [{"index", "event",
"tlog_proof"}]}``. :func:`verify_bundle` checks it, or a bare ``.tlog-proof`` file, with no
database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from veil.errors import VerificationError
from veil.ledger import merkle
from veil.ledger.events import Event, EventError
from veil.ledger.note import (
    Checkpoint,
    NoteError,
    Verifier,
    b64decode_strict,
    b64encode,
    verify_checkpoint,
)

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
BUNDLE_FORMAT = "veil-ledger-bundle/v1"
MAX_BUNDLE_BYTES = 64 << 20
MAX_ENTRIES = 100_000


class BundleError(VerificationError):
    """A proof or bundle that is malformed or does not verify."""


@dataclass(frozen=True)
class TlogProof:
    """A parsed c2sp.org/tlog-proof@v1 (the checkpoint is not yet verified)."""

    index: int
    hashes: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None

    def render(self) -> str:
        """The c2sp.org/tlog-proof text: header, extra, index, proof hashes, checkpoint."""
        lines = [TLOG_PROOF_HEADER]
        if self.extra is not None:
            lines.append(f"extra {b64encode(self.extra)}")
        lines.append(f"index {self.index}")
        lines.extend(b64encode(h) for h in self.hashes)
        return "\n".join(lines) + "\n\n" + self.checkpoint_note


def parse_tlog_proof(text: str) -> TlogProof:
    """Parse a tlog-proof text; every malformation is a :class:`BundleError`."""
    if not isinstance(text, str):
        raise BundleError("tlog-proof must be text")
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise BundleError("malformed tlog-proof: no blank line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise BundleError(f"malformed tlog-proof: first line must be {TLOG_PROOF_HEADER}")
    pos = 1
    extra = None
    if pos < len(lines) and lines[pos].startswith("extra "):
        try:
            extra = b64decode_strict(lines[pos][6:], "tlog-proof extra data")
        except NoteError as exc:
            raise BundleError(f"malformed tlog-proof: {exc}") from None
        pos += 1
    if pos >= len(lines) or not lines[pos].startswith("index "):
        raise BundleError("malformed tlog-proof: missing index line")
    idx = lines[pos][6:]
    if not idx.isascii() or not idx.isdigit() or (idx != "0" and idx[0] == "0") or len(idx) > 19:
        raise BundleError("malformed tlog-proof: index is not a decimal without leading zeros")
    hashes = []
    for line in lines[pos + 1 :]:
        try:
            h = b64decode_strict(line, "tlog-proof hash")
        except NoteError as exc:
            raise BundleError(f"malformed tlog-proof: {exc}") from None
        if len(h) != merkle.HASH_SIZE:
            raise BundleError("malformed tlog-proof: a proof hash is not 32 bytes")
        hashes.append(h)
    if len(hashes) > merkle.MAX_PROOF_LENGTH:
        raise BundleError("malformed tlog-proof: too many proof hashes")
    return TlogProof(int(idx), tuple(hashes), note, extra)


@dataclass(frozen=True)
class ProvedEntry:
    """One entry of a verified bundle: leaf index, parsed event and the proved leaf bytes."""

    index: int
    event: Event
    leaf: bytes


@dataclass(frozen=True)
class BundleResult:
    """What a verified bundle proves."""

    kind: str
    checkpoint: Checkpoint
    cosigned_by: dict[str, int]
    entries: tuple[ProvedEntry, ...]
    subject: str | None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``veil ledger verify-bundle --json``): the checkpoint and each event."""
        return {
            "ok": True,
            "kind": self.kind,
            "origin": self.checkpoint.origin,
            "tree_size": self.checkpoint.size,
            "cosigned_by": sorted(self.cosigned_by),
            "subject": self.subject,
            "events": [
                {"index": e.index, **e.event.model_dump(mode="json", exclude_none=True)}
                for e in self.entries
            ],
        }

    def lines(self) -> list[str]:
        """The text form (``veil ledger verify-bundle``): the verdict, then one line per event."""
        cp, who = self.checkpoint, ", ".join(sorted(self.cosigned_by)) or "no witness"
        out = [
            f"ok: {len(self.entries)} event(s) proved in {cp.origin} at tree size {cp.size}, "
            f"cosigned by {who}"
        ]
        for e in self.entries:
            ev = e.event
            extra = f" to {ev.recipient}" if ev.recipient else ""
            out.append(
                f"  #{e.index} {ev.time} {ev.controller} / {ev.system}: {ev.action}{extra} "
                f"[{', '.join(ev.data_categories)}] for {ev.purpose!r} ({ev.legal_basis})"
            )
        return out


def verify_tlog_proof(
    proof: TlogProof | str,
    log_key: Verifier,
    witness_keys: Sequence[Verifier] = (),
    min_witnesses: int = 0,
    leaf: bytes | None = None,
) -> tuple[Checkpoint, dict[str, int], bytes]:
    """Verify one tlog-proof: checkpoint signature, witness policy and inclusion of the leaf.

    The leaf bytes are ``leaf`` or else the proof's extra data. Returns (checkpoint,
    cosigners, leaf bytes).
    """
    p = parse_tlog_proof(proof) if isinstance(proof, str) else proof
    data = leaf if leaf is not None else p.extra
    if data is None:
        raise BundleError("tlog-proof carries no entry bytes and none were given")
    try:
        signed = verify_checkpoint(p.checkpoint_note, log_key, witness_keys)
    except NoteError as exc:
        raise BundleError(f"checkpoint: {exc}") from None
    check_witness_policy(signed.cosigned_by, witness_keys, min_witnesses)
    cp = signed.checkpoint
    try:
        merkle.verify_inclusion(p.index, cp.size, merkle.leaf_hash(data), p.hashes, cp.root)
    except merkle.ProofError as exc:
        raise BundleError(str(exc)) from None  # it names the leaf; the bundle names the entry
    return cp, signed.cosigned_by, data


def check_witness_policy(
    cosigned_by: dict[str, int], witness_keys: Sequence[Verifier], min_witnesses: int
) -> None:
    """N-of-M: at least ``min_witnesses`` of the given witnesses cosigned."""
    if min_witnesses > len(witness_keys):
        raise BundleError(
            f"witness policy asks for {min_witnesses} cosignatures but only "
            f"{len(witness_keys)} witness keys were given"
        )
    names = {w.name for w in witness_keys}
    got = sorted(n for n in cosigned_by if n in names)
    if len(got) < min_witnesses:
        raise BundleError(
            f"witness policy not met: {len(got)} of the required {min_witnesses} witnesses "
            f"cosigned the checkpoint ({', '.join(got) or 'none'})"
        )


def make_bundle(kind: str, entries: Sequence[tuple[int, bytes, str]], subject: str | None) -> str:
    """Bundle JSON from (index, leaf bytes, tlog-proof text) triples."""
    body: dict[str, Any] = {"format": BUNDLE_FORMAT, "kind": kind}
    if subject is not None:
        body["subject"] = subject
    body["entries"] = [
        {"index": i, "event": json.loads(data), "tlog_proof": proof} for i, data, proof in entries
    ]
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def bare_tlog_proof(bundle: str) -> str:
    """The c2sp.org/tlog-proof text of a one-event bundle (what ``prove -o x.tlog-proof`` writes)."""
    entries = json.loads(bundle)["entries"]
    if len(entries) != 1:
        raise BundleError(f"a bare tlog-proof holds one event, this bundle holds {len(entries)}")
    return str(entries[0]["tlog_proof"])


def verify_bundle(
    data: bytes | str,
    log_key: Verifier,
    witness_keys: Sequence[Verifier] = (),
    min_witnesses: int | None = None,
) -> BundleResult:
    """Verify a Veil bundle offline; ``min_witnesses`` defaults to all the witness keys given."""
    need = len(witness_keys) if min_witnesses is None else min_witnesses
    if need < 0:
        raise BundleError("the minimum number of witnesses cannot be negative")
    kind, entries, subject = _bundle_entries(_bundle_document(data))
    proved: list[ProvedEntry] = []
    first: tuple[Checkpoint, dict[str, int]] | None = None
    seen: set[int] = set()
    for n, entry in enumerate(entries):
        where = f"entry {n}"
        proof, cp, cosigned, leaf = _verify_entry(where, entry, seen, log_key, witness_keys, need)
        if first is None:
            first = (cp, cosigned)
        elif cp != first[0]:
            raise BundleError(f"{where}: proved against a different checkpoint than entry 0")
        try:
            event = Event.from_canonical(leaf)
        except EventError as exc:
            raise BundleError(f"{where}: leaf {proof.index} is not a valid event: {exc}") from None
        if "event" in entry and entry["event"] != json.loads(leaf):
            raise BundleError(f"{where}: the readable event differs from the proved bytes")
        if kind == "trace" and event.subject != subject:
            raise BundleError(f"{where}: event is about another subject")
        proved.append(ProvedEntry(proof.index, event, leaf))
    assert first is not None
    return BundleResult(kind, first[0], first[1], tuple(proved), subject)


def _bundle_document(data: bytes | str) -> Any:
    """The bundle's JSON (a bare .tlog-proof file wrapped as a one-event bundle)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BundleError("bundle is too large")
    if raw.startswith(TLOG_PROOF_HEADER.encode() + b"\n"):  # a bare .tlog-proof file
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BundleError("tlog-proof is not UTF-8 text") from None
        one = parse_tlog_proof(text)
        raw = json.dumps(
            {
                "format": BUNDLE_FORMAT,
                "kind": "event",
                "entries": [{"index": one.index, "tlog_proof": text}],
            }
        ).encode()
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BundleError(f"bundle is not valid JSON: {exc}") from None


def _bundle_entries(doc: Any) -> tuple[str, list[Any], Any]:
    """A bundle's kind, entries and subject, after the format and shape checks."""
    if not isinstance(doc, dict) or doc.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"not a Veil bundle: the format must be {BUNDLE_FORMAT!r}")
    kind = doc.get("kind")
    if kind not in ("event", "trace"):
        raise BundleError("bundle kind must be 'event' or 'trace'")
    entries = doc.get("entries")
    if not isinstance(entries, list) or not entries or len(entries) > MAX_ENTRIES:
        raise BundleError("bundle must hold a non-empty list of entries")
    if kind == "event" and len(entries) != 1:
        raise BundleError("an event bundle holds exactly one entry")
    subject = doc.get("subject")
    if kind == "trace" and not isinstance(subject, str):
        raise BundleError("a trace bundle names its subject pseudonym")
    return str(kind), entries, subject


def _verify_entry(
    where: str,
    entry: Any,
    seen: set[int],
    log_key: Verifier,
    witness_keys: Sequence[Verifier],
    need: int,
) -> tuple[TlogProof, Checkpoint, dict[str, int], bytes]:
    """One entry's tlog-proof, parsed and verified (its index new to ``seen``, then added)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("tlog_proof"), str):
        raise BundleError(f"{where}: needs a tlog_proof text")
    proof = parse_tlog_proof(entry["tlog_proof"])
    if entry.get("index") != proof.index:
        raise BundleError(f"{where}: index does not match its tlog-proof")
    if proof.index in seen:
        raise BundleError(f"{where}: leaf {proof.index} appears twice")
    seen.add(proof.index)
    try:
        cp, cosigned, leaf = verify_tlog_proof(proof, log_key, witness_keys, need)
    except BundleError as exc:
        raise BundleError(f"{where}: {exc}") from None
    return proof, cp, cosigned, leaf
