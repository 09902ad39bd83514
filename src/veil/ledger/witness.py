"""A C2SP tlog-witness (c2sp.org/tlog-witness), as a library with its state in a folder.

The witness keeps, per log origin, the latest checkpoint it cosigned; it accepts a new one only
with a valid RFC 9162 consistency proof from that size, cosigns it (c2sp.org/tlog-cosignature,
timestamped Ed25519) and answers like the HTTP API: 400 malformed, 403 no trusted log signature,
404 unknown origin, 409 old size is not the latest (with the latest size) or same size with
another root, 422 consistency proof does not verify. Checkpoints that are validly signed but
inconsistent are kept as evidence of a split view. Check-and-update is atomic (a file lock).

Folder layout: ``witness.key`` (Ed25519 signer key, 0600), ``witness.json`` (trusted logs and
their latest checkpoints), ``evidence/`` (inconsistent checkpoints and their proofs).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veil.config import veil_home
from veil.core.atomic import write_file_atomic
from veil.errors import ConfigError, VerificationError
from veil.ledger import merkle
from veil.ledger.note import (
    ALG_COSIGNATURE_V1,
    NoteError,
    Signer,
    Verifier,
    b64decode_strict,
    b64encode,
    parse_note,
    parse_skey,
    parse_vkey,
    verify_checkpoint,
)

MAX_REQUEST_BYTES = 1 << 20

STATUS_TEXT = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Entity",
}


class WitnessError(VerificationError):
    """A refused add-checkpoint request, with the tlog-witness HTTP status."""

    def __init__(self, status: int, message: str, latest_size: int | None = None) -> None:
        super().__init__(f"{status} {STATUS_TEXT[status]}: {message}")
        self.status = status
        self.latest_size = latest_size
        self.exit_code = refusal_exit_code(status)

    def as_dict(self) -> dict[str, Any]:
        """The refusal as ``veil witness cosign --json`` prints it."""
        return {
            "ok": False,
            "status": self.status,
            "error": str(self),
            "latest_size": self.latest_size,
        }


def refusal_exit_code(status: int) -> int:
    """The one rule for a witness's refusal: 3 when it is evidence about the log (409 another
    root or a stale size that a retry did not settle, 422 a consistency proof that fails); 2
    for the rest (400 malformed request, 403 a key the witness does not hold for the log, 404
    unknown log, or no answer): configuration to fix, not evidence."""
    return 3 if status in (409, 422) else 2


def default_witness_dir() -> Path:
    """Where a witness lives by default: ``$VEIL_HOME/witness``."""
    return veil_home() / "witness"


@dataclass(frozen=True)
class AddCheckpointRequest:
    """A c2sp.org/tlog-witness add-checkpoint request: old size, consistency proof, note."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint_note: str

    def render(self) -> str:
        """The request body as the protocol sends it."""
        lines = [f"old {self.old_size}", *(b64encode(h) for h in self.proof)]
        return "\n".join(lines) + "\n\n" + self.checkpoint_note


def parse_request(body: bytes | str) -> AddCheckpointRequest:
    """Parse an add-checkpoint request body; malformed bodies are 400."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > MAX_REQUEST_BYTES:
        raise WitnessError(400, "request too large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise WitnessError(400, "request is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise WitnessError(400, "no empty line before the checkpoint")
    lines = head.split("\n")
    first = lines[0]
    if not first.startswith("old "):
        raise WitnessError(400, "first line must be 'old <size>'")
    size_s = first[4:]
    if not size_s.isascii() or not size_s.isdigit() or (size_s != "0" and size_s[0] == "0"):
        raise WitnessError(400, "old size is not a decimal without leading zeros")
    if len(lines) - 1 > merkle.MAX_PROOF_LENGTH:
        raise WitnessError(400, "more than 63 consistency proof lines")
    proof = []
    for line in lines[1:]:
        try:
            h = b64decode_strict(line, "consistency proof line")
        except NoteError as exc:
            raise WitnessError(400, str(exc)) from None
        if len(h) != merkle.HASH_SIZE:
            raise WitnessError(400, "a consistency proof line is not a 32-byte hash")
        proof.append(h)
    return AddCheckpointRequest(int(size_s), tuple(proof), note)


class Witness:
    """A witness whose key and state live in ``folder``."""

    def __init__(self, folder: Path, signer: Signer) -> None:
        self.folder = folder
        self.signer = signer

    # -- setup -------------------------------------------------------------------------------

    @classmethod
    def create(cls, folder: Path | None, name: str) -> Witness:
        """Make a new witness in ``folder`` (files 0600); ConfigError if one is there already."""
        folder = folder or default_witness_dir()
        if (folder / "witness.key").exists():
            raise ConfigError(f"a witness already exists in {folder}; refusing to overwrite it")
        try:
            signer = Signer.generate(name)
        except NoteError as exc:
            raise ConfigError(str(exc)) from None
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        write_file_atomic(folder / "witness.json", json.dumps({"name": name, "logs": {}}), 0o600)
        write_file_atomic(folder / "witness.key", signer.skey + "\n", 0o600)
        return cls(folder, signer)

    @classmethod
    def open(cls, folder: Path | None = None) -> Witness:
        """The witness in ``folder``; ConfigError when there is none or its key is bad."""
        folder = folder or default_witness_dir()
        try:
            skey = (folder / "witness.key").read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"no witness in {folder}: run `veil witness init` first") from None
        try:
            return cls(folder, parse_skey(skey))
        except NoteError as exc:
            raise ConfigError(f"{folder / 'witness.key'}: {exc}") from None

    @property
    def name(self) -> str:
        """The witness's key name (what its cosignatures carry)."""
        return self.signer.name

    @property
    def vkey(self) -> str:
        """The cosigner verifier key (type 0x04) that clients put in their witness policy."""
        return self.signer.verifier(ALG_COSIGNATURE_V1).vkey

    @contextmanager
    def _state(self) -> Iterator[dict[str, Any]]:
        """Lock the folder, yield the state, and write it back atomically if it changed."""
        with open(self.folder / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                path = self.folder / "witness.json"
                try:
                    state = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    raise ConfigError(f"witness state {path} is unreadable: {exc}") from None
                before = json.dumps(state, sort_keys=True)
                yield state
                if json.dumps(state, sort_keys=True) != before:
                    write_file_atomic(path, json.dumps(state, indent=2, sort_keys=True), 0o600)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def add_log(self, vkey: str) -> str:
        """Trust a log's verifier key; its origin is the key name. Returns the origin."""
        try:
            v = parse_vkey(vkey)
        except NoteError as exc:
            raise ConfigError(str(exc)) from None
        if v.alg != 0x01:
            raise ConfigError("a log key must be an Ed25519 note key (type 0x01)")
        with self._state() as st:
            logs = st.setdefault("logs", {})
            entry = logs.get(v.name)
            if entry and entry["vkey"] != v.vkey:
                raise ConfigError(f"origin {v.name} is already trusted with another key")
            logs.setdefault(v.name, {"vkey": v.vkey, "size": 0, "root": None, "checkpoint": None})
        return v.name

    def logs(self) -> dict[str, dict[str, Any]]:
        """The logs it trusts, by origin: vkey, and the size and root it last cosigned."""
        with self._state() as st:
            return dict(st.get("logs", {}))

    def latest(self, origin: str) -> tuple[int, bytes | None]:
        """The size and root last cosigned for ``origin``; WitnessError (404) for an unknown log."""
        entry = self.logs().get(origin)
        if entry is None:
            raise WitnessError(
                404, f"witness {self.name} does not know the log {origin!r} (veil witness add-log)"
            )
        root = entry.get("root")
        return int(entry["size"]), (b64decode_strict(root, "root") if root else None)

    # -- the protocol ------------------------------------------------------------------------

    def add_checkpoint(self, body: bytes | str, now: int | None = None) -> str:
        """Handle an add-checkpoint request; return the cosignature line(s) or raise."""
        req = parse_request(body)
        try:
            note = parse_note(req.checkpoint_note)
        except NoteError as exc:
            raise WitnessError(400, f"checkpoint: {exc}") from None
        origin = note.text.split("\n", 1)[0]
        with self._state() as st:
            entry = st.get("logs", {}).get(origin)
            if entry is None:
                raise WitnessError(404, f"unknown log origin {origin!r}")
            log_key: Verifier = parse_vkey(entry["vkey"])
            try:
                cp = verify_checkpoint(note, log_key).checkpoint
            except NoteError as exc:
                if "malformed" in str(exc):
                    raise WitnessError(400, f"checkpoint: {exc}") from None
                raise WitnessError(403, f"checkpoint: {exc}") from None
            if req.old_size > cp.size:
                raise WitnessError(400, f"old size {req.old_size} is larger than {cp.size}")
            latest = int(entry["size"])
            if req.old_size != latest:
                raise WitnessError(
                    409, f"old size {req.old_size} is not the latest cosigned size {latest}", latest
                )
            old_root = b64decode_strict(entry["root"], "root") if entry.get("root") else None
            if req.old_size == cp.size and cp.size > 0 and old_root != cp.root:
                self._keep_evidence(origin, req, "same size, different root")
                raise WitnessError(409, f"another root for the already cosigned size {cp.size}")
            try:
                merkle.verify_consistency(
                    req.old_size, cp.size, old_root or merkle.EMPTY_ROOT, cp.root, req.proof
                )
            except merkle.ProofError as exc:
                self._keep_evidence(origin, req, str(exc))
                raise WitnessError(422, f"consistency proof does not verify: {exc}") from None
            entry.update(
                {"size": cp.size, "root": b64encode(cp.root), "checkpoint": req.checkpoint_note}
            )
        return self.signer.cosign_line(cp.text(), now)

    def _keep_evidence(self, origin: str, req: AddCheckpointRequest, why: str) -> None:
        folder = self.folder / "evidence"
        folder.mkdir(exist_ok=True)
        digest = hashlib.sha256(req.render().encode("utf-8")).hexdigest()[:16]
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        record = {"origin": origin, "reason": why, "request": req.render(), "time": stamp}
        write_file_atomic(folder / f"{stamp}-{digest}.json", json.dumps(record, indent=2), 0o600)

    def evidence(self) -> list[dict[str, Any]]:
        """Every kept record of an inconsistent checkpoint, oldest file name first."""
        folder = self.folder / "evidence"
        if not folder.exists():
            return []
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
