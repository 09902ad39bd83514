"""Benchmark of the trace ledger beside pymerkle 7 doing the same work, in one run.

Measures, on the same leaves (canonical JSON events of about 520 bytes, from
``ledger_pymerkle_peer.make_entries``):

- durable appends per second at batch sizes 1, 100 and 10,000: Veil on SQLite and PostgreSQL
  (each append returns after its transaction commits: SQLite WAL with synchronous=FULL,
  PostgreSQL synchronous_commit=on) and pymerkle's ``SqliteTree`` (``append_entry`` for batch
  1, ``append_entries`` per batch: one commit per call, leaves only);
- building 1,000,000 leaves (Veil SQLite at batch 10,000; pymerkle SqliteTree and InmemoryTree);
- inclusion and consistency proof generation from the store and verification at that size
  (median of random indexes);
- storage bytes per event against the target ``2 x canonical size + 64``.

pymerkle runs in its own venv (``bench/.peers/pymerkle-venv``, created on first use with
``pymerkle==7.0.0``; never a Veil dependency). Results go to ``bench/results/ledger.md`` as
ratios against pymerkle, with the machine and the command.

Usage: python bench/ledger_bench.py [--quick] [--pg URL | --no-pg] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import cpu_model  # noqa: E402
from ledger_pymerkle_peer import make_entries  # noqa: E402
from veil.ledger import Ledger, merkle  # noqa: E402
from veil.ledger.events import Event  # noqa: E402
from veil.ledger.log import TransparencyLog  # noqa: E402
from veil.ledger.merkle import NodeId  # noqa: E402
from veil.ledger.stores import LeafRow, Store, open_store  # noqa: E402

PEER_VENV = HERE / ".peers" / "pymerkle-venv"
PEER_PY = PEER_VENV / "bin" / "python"
PEER_SCRIPT = HERE / "ledger_pymerkle_peer.py"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def ensure_peer() -> None:
    """Create the pymerkle venv on first use (PyPI through pip, like bench/setup_peers.sh)."""
    if PEER_PY.exists():
        return
    PEER_VENV.parent.mkdir(parents=True, exist_ok=True)
    python = os.environ.get("PYTHON", "python3.11")
    subprocess.run([python, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run([str(PEER_PY), "-m", "pip", "install", "--quiet", "pymerkle==7.0.0"], check=True)


def peer(*args: object) -> dict[str, Any]:
    run = subprocess.run(
        [str(PEER_PY), str(PEER_SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode:
        raise SystemExit(f"pymerkle peer failed: {run.stderr.strip()}")
    return dict(json.loads(run.stdout))


def rows_for(entries: list[bytes]) -> list[LeafRow]:
    """What the ledger stores per event: the bytes, the event id and the subject pseudonym."""
    out = []
    for e in entries:
        i = e.index(b'"id":"') + 6
        s = e.index(b'"subject":"') + 11
        out.append(
            LeafRow(
                e, uuid.UUID(e[i : i + 36].decode()).bytes, bytes.fromhex(e[s : s + 64].decode())
            )
        )
    return out


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="veil-ledger-bench-") as d:
        yield f"sqlite:///{d}/ledger.db"


@contextmanager
def pg_schema_url(base: str) -> Iterator[str]:
    import psycopg

    schema = f"veil_bench_{secrets.token_hex(4)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def new_log(url: str) -> TransparencyLog:
    store: Store = open_store(url)
    store.initialize({})
    return TransparencyLog(store)


def veil_appends(url: str, batch: int, total: int) -> float:
    """Durable appends per second through TransparencyLog.append."""
    log = new_log(url)
    rows = rows_for(make_entries(0, total))
    t = time.perf_counter()
    for k in range(0, total, batch):
        log.append(rows[k : k + batch])
    dt = time.perf_counter() - t
    log.store.close()
    return total / dt


def ledger_appends(url: str, key_dir: Path, batch: int, total: int) -> float:
    """Durable appends per second through Ledger.append_many with Event objects (the events are
    canonicalized, indexed and logged inside the timing)."""
    events = [Event.from_canonical(e) for e in make_entries(0, total)]
    with Ledger.open(url, key_dir) as led:
        t = time.perf_counter()
        for k in range(0, total, batch):
            led.append_many(events[k : k + batch])
        dt = time.perf_counter() - t
    return total / dt


def median_ms(samples: list[float]) -> float:
    return 1000 * sorted(samples)[len(samples) // 2]


def veil_build_and_prove(url: str, n: int, samples: int, batch: int) -> dict[str, Any]:
    log = new_log(url)
    spent = 0.0
    for k in range(0, n, batch):
        rows = rows_for(make_entries(k, min(batch, n - k)))  # made outside the timing
        t = time.perf_counter()
        log.append(rows)
        spent += time.perf_counter() - t
    out: dict[str, Any] = {"build_s": spent}
    head = log.head()
    out["root_hex"] = head.root.hex()
    rng = random.Random(1)
    gen, ver = [], []
    for _ in range(samples):
        i = rng.randrange(n)
        leaf = log.fetch([NodeId(0, i)])[NodeId(0, i)]
        t = time.perf_counter()
        proof = log.inclusion_proof(i, n)
        gen.append(time.perf_counter() - t)
        t = time.perf_counter()
        merkle.verify_inclusion(i, n, leaf, proof, head.root)
        ver.append(time.perf_counter() - t)
    out["inclusion_gen_ms"], out["inclusion_verify_ms"] = median_ms(gen), median_ms(ver)
    gen, ver = [], []
    for _ in range(samples):
        m = rng.randrange(1, n)
        old_root = log.root_at(m)
        t = time.perf_counter()
        proof = log.consistency_proof(m, n)
        gen.append(time.perf_counter() - t)
        t = time.perf_counter()
        merkle.verify_consistency(m, n, old_root, head.root, proof)
        ver.append(time.perf_counter() - t)
    out["consistency_gen_ms"], out["consistency_verify_ms"] = median_ms(gen), median_ms(ver)
    stored = log.store.storage_bytes()
    canonical = sum(len(e) for e in make_entries(0, 1000)) / 1000
    out["storage_bytes_per_event"] = (stored or 0) / n
    out["canonical_bytes"] = canonical
    out["storage_target"] = 2 * canonical + 64
    if url.startswith("sqlite"):
        out["file_bytes_per_event"] = Path(url.removeprefix("sqlite:///")).stat().st_size / n
    log.store.close()
    return out


def pg_reachable(url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            row = conn.execute("SHOW synchronous_commit").fetchone()
            ver = conn.execute("SHOW server_version").fetchone()
        return f"PostgreSQL {ver[0] if ver else '?'}, synchronous_commit={row[0] if row else '?'}"
    except Exception:
        return None


def machine() -> str:
    cpu = cpu_model()
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "n/a"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (about a minute)")
    ap.add_argument("--pg", default=os.environ.get("VEIL_BENCH_PG", DEFAULT_PG))
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "ledger.md")
    args = ap.parse_args()
    ensure_peer()
    q = args.quick
    n_build = 100_000 if q else 1_000_000
    samples = 50 if q else 200
    totals = {1: 100 if q else 300, 100: 10_000 if q else 20_000, 10_000: 30_000 if q else 100_000}
    pg_info = None if args.no_pg else pg_reachable(args.pg)
    res: dict[str, Any] = {"appends": {}, "machine": machine(), "pg": pg_info}

    for batch, total in totals.items():
        row: dict[str, float] = {}
        with sqlite_url() as url:
            row["veil_sqlite"] = veil_appends(url, batch, total)
        with tempfile.TemporaryDirectory() as d:
            row["veil_ledger_sqlite"] = ledger_appends(
                f"sqlite:///{d}/l.db", Path(d) / "keys", batch, total
            )
        if pg_info:
            with pg_schema_url(args.pg) as url:
                row["veil_pg"] = veil_appends(url, batch, total)
        row["pymerkle_sqlite"] = float(peer("appends", batch, total)["per_s"])
        res["appends"][batch] = row
        print(f"batch {batch}: {json.dumps(row)}", flush=True)

    with sqlite_url() as url:
        res["veil"] = veil_build_and_prove(url, n_build, samples, 10_000)
    print("veil sqlite:", json.dumps(res["veil"]), flush=True)
    if pg_info:
        with pg_schema_url(args.pg) as url:
            res["veil_pg"] = veil_build_and_prove(url, n_build, samples, 10_000)
        print("veil pg:", json.dumps(res["veil_pg"]), flush=True)
    res["pymerkle"] = peer("build", n_build, samples, 10_000)
    print("pymerkle:", json.dumps(res["pymerkle"]), flush=True)
    if res["pymerkle"]["root_hex"] != res["veil"]["root_hex"]:
        raise SystemExit("roots differ between Veil and pymerkle: the benchmark is not comparable")

    res["load"] = os.getloadavg()[1]  # 5-minute load average at the end of the run
    command = "python bench/ledger_bench.py" + (" --quick" if q else "")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(res, n_build, samples, totals, command), encoding="utf-8")
    print(f"results written to {args.out}")


def render(res: dict[str, Any], n: int, samples: int, totals: dict[int, int], command: str) -> str:
    v, p, vp = res["veil"], res["pymerkle"], res.get("veil_pg")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "# Trace ledger benchmark: Veil beside pymerkle 7",
        "",
        f"- Command: `{command}` ({when})",
        f"- Machine: {res['machine']}",
        f"- PostgreSQL: {res['pg'] or 'not reachable (skipped)'}",
        f"- Peer: pymerkle {p.get('version', '7')} in bench/.peers/pymerkle-venv (its own venv)",
        "- Leaves: the same canonical JSON events on both sides "
        f"({v['canonical_bytes']:.0f} bytes on average, about 100,000 different subject "
        "pseudonyms); the RFC 9162 roots of both trees were checked equal.",
        "- Durable: every append returns after its commit (Veil: SQLite WAL + synchronous=FULL,"
        " PostgreSQL synchronous_commit; pymerkle: SQLite rollback journal, default FULL sync).",
        "  Veil also stores what O(log n) proofs need (complete-subtree hashes) and the event-id"
        " and subject indexes; pymerkle stores leaves only and recomputes subtrees for proofs.",
        "  At 10^6 leaves the subject index dominates appends: random pseudonyms dirty many"
        " index pages per commit, which SQLite and PostgreSQL both write to their logs.",
        f"- Load average (5 min) at the end of the run: {res['load']:.1f} on "
        f"{os.cpu_count()} CPUs; other work shares the machine, so treat figures as noisy.",
        "",
        "## Durable appends per second",
        "",
        "| batch | events | Veil SQLite (log) | Veil SQLite (Ledger, Event objects) | Veil PostgreSQL"
        " | pymerkle SqliteTree | Veil SQLite / pymerkle |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for batch, row in res["appends"].items():
        pg = f"{row['veil_pg']:,.0f}" if "veil_pg" in row else "skipped"
        lines.append(
            f"| {batch:,} | {totals[batch]:,} | {row['veil_sqlite']:,.0f} | "
            f"{row['veil_ledger_sqlite']:,.0f} | {pg} | {row['pymerkle_sqlite']:,.0f} | "
            f"{ratio(row['veil_sqlite'], row['pymerkle_sqlite'])} |"
        )
    lines += [
        "",
        "pymerkle has no PostgreSQL store; the PostgreSQL column has no peer.",
        "",
        f"## Building {n:,} leaves",
        "",
        "| | seconds | leaves/s | vs Veil SQLite |",
        "| --- | ---: | ---: | ---: |",
        f"| Veil SQLite, durable batches of 10,000 | {v['build_s']:.1f} | {n / v['build_s']:,.0f} | 1.0x |",
    ]
    if vp:
        lines.append(
            f"| Veil PostgreSQL, durable batches of 10,000 | {vp['build_s']:.1f} | "
            f"{n / vp['build_s']:,.0f} | {v['build_s'] / vp['build_s']:.2f}x |"
        )
    lines += [
        f"| pymerkle SqliteTree.append_entries, batches of 10,000 | {p['build_sqlite_s']:.1f} | "
        f"{n / p['build_sqlite_s']:,.0f} | {v['build_s'] / p['build_sqlite_s']:.2f}x |",
        f"| pymerkle InmemoryTree.append_entry (not durable) | {p['build_inmemory_s']:.1f} | "
        f"{n / p['build_inmemory_s']:,.0f} | {v['build_s'] / p['build_inmemory_s']:.2f}x |",
        "",
        f"## Proofs at {n:,} leaves (median of {samples} random indexes, from the store)",
        "",
        "| | Veil SQLite ms | Veil PostgreSQL ms | pymerkle SqliteTree ms | speed-up vs pymerkle |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key, label in [
        ("inclusion_gen_ms", "inclusion proof, generate"),
        ("inclusion_verify_ms", "inclusion proof, verify"),
        ("consistency_gen_ms", "consistency proof, generate"),
        ("consistency_verify_ms", "consistency proof, verify"),
    ]:
        pgv = f"{vp[key]:.3f}" if vp else "skipped"
        lines.append(f"| {label} | {v[key]:.3f} | {pgv} | {p[key]:.3f} | {ratio(p[key], v[key])} |")
    lines += [
        "",
        "## Storage per event",
        "",
        f"- Veil SQLite: {v['storage_bytes_per_event']:.0f} bytes per event in the ledger's tables "
        f"and indexes (dbstat; {v.get('file_bytes_per_event', 0):.0f} bytes of file), target "
        f"<= 2 x {v['canonical_bytes']:.0f} + 64 = {v['storage_target']:.0f}: "
        f"{'met' if v['storage_bytes_per_event'] <= v['storage_target'] else 'NOT met'}.",
    ]
    if vp:
        lines.append(
            f"- Veil PostgreSQL: {vp['storage_bytes_per_event']:.0f} bytes per event "
            "(pg_total_relation_size of the ledger's tables)."
        )
    lines += [
        f"- pymerkle SqliteTree: {p['storage_bytes_per_event']:.0f} bytes per event (leaves and "
        "leaf hashes only, no interior nodes).",
        "",
        "## Targets (issue 3)",
        "",
    ]
    best = max(r["veil_sqlite"] for r in res["appends"].values())
    incl, cons = (
        v["inclusion_gen_ms"] + v["inclusion_verify_ms"],
        v["consistency_gen_ms"] + v["consistency_verify_ms"],
    )
    lines += [
        f"- >= 50,000 durable appends/s batched on SQLite: {best:,.0f}/s "
        f"({'met' if best >= 50_000 else 'NOT met'} on this run).",
        f"- Proofs from the store under 1 ms at {n:,} leaves: inclusion {incl:.3f} ms, "
        f"consistency {cons:.3f} ms (generate + verify; "
        f"{'met' if max(incl, cons) < 1 else 'NOT met'}).",
        f"- >= 10x pymerkle's SQLite store for proofs: inclusion "
        f"{ratio(p['inclusion_gen_ms'] + p['inclusion_verify_ms'], incl)}, consistency "
        f"{ratio(p['consistency_gen_ms'] + p['consistency_verify_ms'], cons)}.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
