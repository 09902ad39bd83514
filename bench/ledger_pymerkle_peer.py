"""The pymerkle 7 side of bench/ledger_bench.py, run inside bench/.peers/pymerkle-venv.

Also defines :func:`make_entries`, the leaves both sides append (stdlib only, deterministic):
canonical JSON processing events of the shape Veil logs, about 520 bytes each, about
100,000 different subjects (so the subject index sees mostly new pseudonyms).

Usage (by ledger_bench.py): python ledger_pymerkle_peer.py TASK ARGS... -> one JSON line.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import tempfile
import time

_TEMPLATE = (
    '{{"action":"anonymize","controller":"Example Shop Ltd","counts":{{"faces_redacted":{faces}}},'
    '"data_categories":["biometric.facial_image","image.scene"],"digests":{{"output":'
    '"sha256:{digest}"}},"id":"{id}","legal_basis":"contract","purpose":"entrance monitoring, '
    'faces redacted at capture","separate_consent":false,"subject":"{subject}","system":'
    '"gate-{gate}","time":"2026-11-26T{hh:02d}:{mm:02d}:{ss:02d}.{ms:03d}Z","v":1}}'
)


def entry_id(i: int) -> str:
    """A UUIDv7-shaped id, time-ordered like real event ids."""
    h = hashlib.sha256(i.to_bytes(8, "big")).hexdigest()
    ms = 1_795_000_000_000 + i // 4
    t = f"{ms:012x}"
    return f"{t[:8]}-{t[8:]}-7{h[:3]}-8{h[3:6]}-{h[6:18]}"


def make_entries(start: int, n: int) -> list[bytes]:
    out = []
    for i in range(start, start + n):
        s = i // 4 // 1000
        out.append(
            _TEMPLATE.format(
                faces=i % 7,
                digest=hashlib.sha256(b"frame" + i.to_bytes(8, "big")).hexdigest(),
                id=entry_id(i),
                subject=hashlib.sha256(b"subject" + (i % 100_003).to_bytes(4, "big")).hexdigest(),
                gate=i % 5,
                hh=(s // 3600) % 24,
                mm=(s // 60) % 60,
                ss=s % 60,
                ms=(i // 4) % 1000,
            ).encode()
        )
    return out


def _appends(batch: int, total: int) -> dict[str, float]:
    from pymerkle import SqliteTree

    with tempfile.TemporaryDirectory() as d:
        tree = SqliteTree(os.path.join(d, "t.db"))
        entries = make_entries(0, total)
        t = time.perf_counter()
        if batch == 1:
            for e in entries:
                tree.append_entry(e)
        else:
            for k in range(0, total, batch):
                tree.append_entries(entries[k : k + batch])
        dt = time.perf_counter() - t
        tree.close()
    return {"per_s": total / dt, "seconds": dt}


def _build_and_prove(n: int, samples: int, batch: int) -> dict[str, float | str]:
    from pymerkle import InmemoryTree, SqliteTree, verify_consistency, verify_inclusion

    rng = random.Random(1)
    out: dict[str, float | str] = {}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.db")
        tree = SqliteTree(path)
        spent = 0.0
        for k in range(0, n, batch):
            entries = make_entries(k, min(batch, n - k))  # made outside the timing
            t = time.perf_counter()
            tree.append_entries(entries)
            spent += time.perf_counter() - t
        out["build_sqlite_s"] = spent
        out["root_hex"] = tree.get_state().hex()
        out["storage_bytes_per_event"] = os.path.getsize(path) / n
        state = tree.get_state()
        gen, ver = [], []
        for _ in range(samples):
            i = rng.randrange(1, n + 1)
            t = time.perf_counter()
            proof = tree.prove_inclusion(i)
            gen.append(time.perf_counter() - t)
            base = tree.get_leaf(i)
            t = time.perf_counter()
            verify_inclusion(base, state, proof)
            ver.append(time.perf_counter() - t)
        out["inclusion_gen_ms"] = 1000 * sorted(gen)[len(gen) // 2]
        out["inclusion_verify_ms"] = 1000 * sorted(ver)[len(ver) // 2]
        gen, ver = [], []
        for _ in range(samples):
            m = rng.randrange(1, n)
            t = time.perf_counter()
            proof = tree.prove_consistency(m, n)
            gen.append(time.perf_counter() - t)
            prior = tree.get_state(m)
            t = time.perf_counter()
            verify_consistency(prior, state, proof)
            ver.append(time.perf_counter() - t)
        out["consistency_gen_ms"] = 1000 * sorted(gen)[len(gen) // 2]
        out["consistency_verify_ms"] = 1000 * sorted(ver)[len(ver) // 2]
        tree.close()
    mem = InmemoryTree()
    spent = 0.0
    for k in range(0, n, batch):
        entries = make_entries(k, min(batch, n - k))
        t = time.perf_counter()
        for e in entries:
            mem.append_entry(e)
        spent += time.perf_counter() - t
    out["build_inmemory_s"] = spent
    return out


def main() -> None:
    task, *args = sys.argv[1:]
    if task == "appends":
        result: dict[str, float | str] = dict(_appends(int(args[0]), int(args[1])))
    elif task == "build":
        result = _build_and_prove(int(args[0]), int(args[1]), int(args[2]))
    else:
        raise SystemExit(f"unknown task {task}")
    import pymerkle

    result["version"] = getattr(pymerkle, "__version__", "7")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
