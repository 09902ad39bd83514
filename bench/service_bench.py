"""Benchmark of the Veil service (`veil serve`) on loopback, beside nginx serving the same tiles.

Measures, with Debian's ``wrk`` as the load generator (fixed connections and duration):

- ``/log/checkpoint`` and hash-tile reads per second and p99 latency from ``veil serve``, and from
  nginx (Debian) serving the tree exported by ``veil ledger tiles`` (the floor: static files);
- witness ``POST /witness/add-checkpoint`` per second: a sequence of growing checkpoints from one
  log (one client, as the protocol orders them), and wrk re-adding the latest checkpoint
  (idempotent, so every request does the full verification and atomic state write);
- events ingested per second over HTTP in batches of 1,000 (``POST /api/v1/events``, durable
  before each answer), from one and four clients sending as fast as they are answered (closed
  loop), and offered at 20,000 events/s from eight connections (open loop, latency counted from
  when each batch was due), with the p50 and p99 of a batch.

Parts whose tools are missing (wrk, nginx) are skipped and said so. Results go to
``bench/results/service.md``. Targets (issue 13): tile reads within 3x of nginx's rate; ingestion
>= 20,000 events/s; add-checkpoint >= 200/s; p99 under 50 ms at those rates.

Usage: python bench/service_bench.py [--quick] [--events N] [--workers N] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "src"))

from common import RESULTS, machine_markdown  # noqa: E402
from veil.ledger import Event, Ledger  # noqa: E402
from veil.ledger.note import Checkpoint, sign_checkpoint  # noqa: E402
from veil.ledger.witness import AddCheckpointRequest, Witness  # noqa: E402
from veil.service.db import ServiceDb  # noqa: E402
from veil.service.tokens import create_token  # noqa: E402

VEIL = [sys.executable, "-m", "veil.cli.main"]
TARGET_RATE = 20  # batches of 1,000 per second: the issue's 20,000 events/s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes] | None = None) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            if proc is not None and proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else b""
                raise SystemExit(f"server exited: {out!r}") from None
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def make_event(i: int, who: str | None) -> Event:
    return Event.new(
        action="collect", controller="Example Shop Ltd", system=f"gate-{i % 7}",
        data_categories=["image.scene"], purpose="entrance monitoring", legal_basis="contract",
        subject_pseudonym=who,
    )  # fmt: skip


def wrk(url: str, seconds: int, conns: int, script: Path | None = None) -> dict[str, Any] | None:
    """One wrk run: requests/s, p99 ms, errors (None when wrk is missing)."""
    if shutil.which("wrk") is None:
        return None
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors: .*", out)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errs.group(0) if errs else "",
    }


def lua_paths(paths: list[str], work: Path, method: str = "GET", body: str | None = None) -> Path:
    """A wrk script that requests a random path of ``paths`` (or POSTs ``body``)."""
    script = work / f"wrk-{len(paths)}-{method}.lua"
    items = ",".join(json.dumps(p) for p in paths)
    lines = [f"local paths = {{{items}}}"]
    if body is not None:
        lines += [f'wrk.method = "{method}"', f"wrk.body = [==[{body}]==]",
                  'wrk.headers["Content-Type"] = "text/plain"']  # fmt: skip
        lines += ["request = function() return wrk.format(nil, paths[1]) end"]
    else:
        lines += ['request = function() return wrk.format("GET", paths[math.random(#paths)]) end']
    script.write_text("\n".join(lines) + "\n")
    return script


def start_nginx(root: Path, work: Path, port: int) -> subprocess.Popen[bytes] | None:
    """nginx serving ``root`` at ``/log/`` on ``port`` (None when nginx is missing)."""
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        return None
    conf = work / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the 0700 work dir
    conf.write_text(f"""{user}worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {work}/nginx-body;
  default_type application/octet-stream;
  sendfile on;
  server {{
    listen 127.0.0.1:{port};
    location /log/ {{ alias {root}/; }}
    location = /log/checkpoint {{ alias {root}/checkpoint; default_type text/plain; }}
  }}
}}
""")
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(work), "-g", "daemon off;"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    wait_http(f"http://127.0.0.1:{port}/log/checkpoint", proc)
    return proc


def tile_paths(size: int) -> list[str]:
    """Every hash tile path of a tree of ``size`` (full and partial), under /log/."""
    from veil.ledger.tiles import tiles_for_size

    return ["/log/" + t.path() for t in tiles_for_size(size, entries=False)]


def ingest(base: str, token: str, batches: list[bytes], clients: int,
           rate: float | None = None) -> dict[str, Any]:  # fmt: skip
    """POST the prepared batches from ``clients`` connections: events/s and batch latency.

    Closed loop (``rate`` None): each client sends its next batch when the last is answered.
    Open loop (``rate`` batches per second): batch k is due at k / rate seconds, sent by the
    first free client, and its latency counts from when it was due, so a slow answer that
    holds back the next batches is counted in theirs too (no coordinated omission)."""
    import queue

    import httpx

    lat: list[float] = []
    due: queue.Queue[tuple[float | None, bytes] | None] = queue.Queue()
    failures: list[str] = []
    ready = threading.Barrier(clients + 1)

    def worker() -> None:
        hdr = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=base, headers=hdr, timeout=60) as c:
            c.get("/healthz")  # the connection is open before the clock starts
            ready.wait()
            while (item := due.get()) is not None:
                at, body = item  # at: when the batch was due (None: closed loop, now)
                start = time.perf_counter() if at is None else at
                r = c.post("/api/v1/events", content=body)
                lat.append(time.perf_counter() - start)
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:100]}")

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    t0 = time.perf_counter()
    for k, body in enumerate(batches):
        if rate is None:
            due.put((None, body))
            continue
        at = t0 + k / rate
        time.sleep(max(0.0, at - time.perf_counter()))
        due.put((at, body))
    for _ in threads:
        due.put(None)
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat.sort()
    return {
        "events_per_s": 1000 * len(batches) / wall,
        "p50_ms": lat[len(lat) // 2] * 1000,
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
        "batches": len(lat),
        "failures": failures,
    }


def batches(n: int) -> list[bytes]:
    """``n`` request bodies of 1,000 distinct events each (serialized before timing)."""
    out = []
    for _ in range(n):
        evs = [json.loads(make_event(i, None).canonical()) for i in range(1000)]
        out.append(json.dumps({"events": evs}).encode())
    return out


def validation_ms(bodies: list[bytes]) -> float:
    """Median ms to validate one 1,000-event body as the route does (strict, from its bytes)."""
    from veil.service.routers.events import parse_batch

    times = []
    for body in bodies:
        t = time.perf_counter()
        parse_batch(body)
        times.append((time.perf_counter() - t) * 1000)
    return sorted(times)[len(times) // 2]


def witness_sequence(base: str, led: Ledger, w: Witness, n: int) -> dict[str, Any]:
    """n growing checkpoints posted in order by one client: add-checkpoint/s and p99."""
    import httpx

    bodies = []
    old = w.latest(led.origin)[0]
    for i in range(n):
        led.append(make_event(i, None))
        head = led.head()
        note = sign_checkpoint(Checkpoint(led.origin, head.size, head.root), led.keys.signer)
        proof = led.log.consistency_proof(old, head.size)
        bodies.append(AddCheckpointRequest(old, tuple(proof), note).render())
        old = head.size
    lat = []
    with httpx.Client(base_url=base, timeout=30) as c:
        t0 = time.perf_counter()
        for body in bodies:
            t = time.perf_counter()
            r = c.post("/witness/add-checkpoint", content=body)
            lat.append(time.perf_counter() - t)
            if r.status_code != 200:
                raise SystemExit(f"witness answered {r.status_code}: {r.text}")
        wall = time.perf_counter() - t0
        same = AddCheckpointRequest(old, (), note).render()  # what wrk repeats: size to size
        again = c.post("/witness/add-checkpoint", content=same)
        if again.status_code != 200:
            raise SystemExit(f"re-adding the latest checkpoint: {again.status_code} {again.text}")
    lat.sort()
    return {"rps": n / wall, "p99_ms": lat[min(n - 1, int(n * 0.99))] * 1000, "last": same}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="shorter runs (5 s per wrk run)")
    ap.add_argument("--events", type=int, default=100_000, help="events in the log for reads")
    ap.add_argument("--workers", type=int, default=2, help="veil serve --workers (2)")
    ap.add_argument("--out", type=Path, default=RESULTS / "service.md")
    args = ap.parse_args()
    secs = 5 if args.quick else 10
    work = Path(tempfile.mkdtemp(prefix="veil-service-bench-"))
    home = work / "home"
    env = {**os.environ, "VEIL_HOME": str(home),
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    db_url = f"sqlite:///{home / 'veil.db'}"
    led = Ledger.open(db_url, home / "ledger")
    for start in range(0, args.events, 10_000):
        led.append_many(make_event(i, None) for i in range(start, min(args.events, start + 10_000)))
    led.checkpoint()
    witness = Witness.create(work / "witness", "witness.bench.example")
    witness.add_log(led.vkey)
    token, _ = create_token(ServiceDb(db_url), "operator", "bench")
    tiles_dir = work / "tiles"
    subprocess.run([*VEIL, "ledger", "tiles", "--out", str(tiles_dir), "--db", db_url,
                    "--keys", str(home / "ledger"), "--no-entries"], env=env, check=True)  # fmt: skip
    size = led.head().size
    paths = tile_paths(size)
    port = free_port()
    env_serve = {**env, "VEIL_SERVE_WITNESS_HOME": str(witness.folder),
                 "VEIL_SERVE_WITNESS_INTERVAL_S": "3600"}  # fmt: skip
    serve_cmd = [*VEIL, "serve", "--port", str(port), "--workers", str(args.workers)]
    server = subprocess.Popen(serve_cmd, env=env_serve,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/healthz", server)
    nport = free_port()
    nginx = start_nginx(tiles_dir, work, nport)
    rows: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]] = []
    notes: list[str] = []
    try:
        for label, script in (
            ("`/healthz` (the framework's floor, no database)", lua_paths(["/healthz"], work)),
            ("checkpoint", lua_paths(["/log/checkpoint"], work)),
            (f"hash tiles ({len(paths)} paths, random)", lua_paths(paths, work)),
        ):
            veil_r = wrk(base, secs, 32, script)
            static = nginx is not None and "healthz" not in label  # nginx has no /healthz
            nginx_r = wrk(f"http://127.0.0.1:{nport}", secs, 32, script) if static else None
            rows.append((label, veil_r, nginx_r))
        if rows[0][1] is None:
            notes.append("wrk is not installed: read rates skipped (apt-get install wrk)")
        if nginx is None:
            notes.append("nginx is not installed: the static floor is skipped")
        seq = witness_sequence(base, led, witness, 300 if args.quick else 1000)
        readd = wrk(
            base, secs, 8, lua_paths(["/witness/add-checkpoint"], work, "POST", seq["last"])
        )
        n_batches = 100 if args.quick else 300
        validate_ms = validation_ms(batches(3))
        ingest_r = {
            "1 client, closed loop": ingest(base, token, batches(n_batches), 1),
            "4 clients, closed loop": ingest(base, token, batches(n_batches), 4),
            f"{TARGET_RATE} batches/s offered (open loop, 8 connections)": ingest(
                base, token, batches(n_batches), 8, rate=TARGET_RATE
            ),
        }
        check = Ledger.open(db_url, home / "ledger", create=False)
        expected = size + (300 if args.quick else 1000) + 3 * n_batches * 1000
        got = check.head().size
        check.close()
        if got != expected:
            notes.append(f"log size {got} after the run, expected {expected}")
    finally:
        server.terminate()
        server.wait(30)
        if nginx is not None:
            nginx.terminate()
            nginx.wait(30)
    notes.append(
        f"Where ingest time goes: validating one 1,000-event batch against the strict Event "
        f"schema (raw-identifier patterns on every text field) takes {validate_ms:.0f} ms in this "
        f"process, a ceiling of {1_000_000 / validate_ms:,.0f} events/s per core before any "
        "HTTP or database work."
    )
    if rows[0][1] and rows[2][1]:
        notes.append(
            f"Where read time goes: `/healthz` (FastAPI's routing and middleware, no database) "
            f"serves {rows[0][1]['rps']:,.0f}/s; the checkpoint and hash tiles are answered from "
            "memory by a pure-ASGI fast path before FastAPI (`veil.service.log_reads`), so "
            "what is left is uvicorn (httptools, uvloop) itself, on the cores wrk also uses."
        )
    write(args, size, rows, seq, readd, ingest_r, notes, secs)
    shutil.rmtree(work, ignore_errors=True)


def _cell(r: dict[str, Any] | None, key: str, fmt: str) -> str:
    return "skipped" if r is None else format(r[key], fmt)


def write(args: Any, size: int, rows: list[Any], seq: dict[str, Any], readd: dict[str, Any] | None,
          ingest_r: dict[str, dict[str, Any]], notes: list[str], secs: int) -> None:  # fmt: skip
    cmd = "python bench/service_bench.py" + (" --quick" if args.quick else "")
    cmd += f" --workers {args.workers}" if args.workers != 2 else ""
    out = ["## Veil service (`veil serve`) on loopback, beside nginx", ""]
    out += [f"- Command: `{cmd}`", f"- Machine: {machine_markdown()}",
            "- Shared machine: 2 cores shared with other work (and with wrk and the clients, on "
            "the same cores), so figures are noisy and lower than on a dedicated host.",
            f"- Log: {size:,} events (SQLite, WAL, synchronous=FULL); `veil serve --workers "
            f"{args.workers}` (uvicorn with httptools and uvloop); nginx 2 workers serving "
            "`veil ledger tiles --no-entries` output.",
            f"- wrk: 2 threads, 32 connections (reads) or 8 (witness), {secs} s per run, keep-alive."]  # fmt: skip
    out += ["", "### Reads: requests per second and p99", "",
            "| read | veil serve req/s | p99 ms | nginx req/s | p99 ms | nginx / veil |",
            "| --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for label, v, n in rows:
        for who, r in (("veil serve", v), ("nginx", n)):
            if r and (r["non2xx"] or r["socket_errors"]):
                notes.append(f"{label} from {who}: {r['non2xx']} non-2xx, {r['socket_errors']}")
        ratio = f"{n['rps'] / v['rps']:.1f}x" if v and n else "-"
        out.append(f"| {label} | {_cell(v, 'rps', ',.0f')} | {_cell(v, 'p99_ms', '.1f')} | "
                   f"{_cell(n, 'rps', ',.0f')} | {_cell(n, 'p99_ms', '.1f')} | {ratio} |")  # fmt: skip
    out += ["", "### Witness add-checkpoint", "", "| run | per second | p99 ms |", "| --- | ---: | ---: |",
            f"| growing checkpoints, one client in order | {seq['rps']:,.0f} | {seq['p99_ms']:.1f} |",
            f"| wrk re-adding the latest (8 connections) | {_cell(readd, 'rps', ',.0f')} | "
            f"{_cell(readd, 'p99_ms', '.1f')} |"]  # fmt: skip
    if readd and (readd["non2xx"] or readd["socket_errors"]):
        notes.append(f"witness re-add: {readd['non2xx']} non-2xx, {readd['socket_errors']}")
    out += ["", "### Events ingested over HTTP (batches of 1,000, durable before each answer)", "",
            "| load | batches | events/s | batch p50 ms | batch p99 ms |",
            "| --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for load, r in ingest_r.items():
        out.append(f"| {load} | {r['batches']} | {r['events_per_s']:,.0f} | {r['p50_ms']:.0f} | "
                   f"{r['p99_ms']:.0f} |")  # fmt: skip
        notes += [f"ingest, {load}: {f}" for f in r["failures"][:3]]
    best_tile = rows[2]
    best_ingest = max(r["events_per_s"] for r in ingest_r.values())
    out += ["", "### Targets (issue 13)", ""]
    if best_tile[1] and best_tile[2]:
        ratio = best_tile[2]["rps"] / best_tile[1]["rps"]
        out.append(f"- Tile reads within 3x of nginx: nginx is {ratio:.1f}x veil serve "
                   f"({'met' if ratio <= 3 else 'missed'}).")  # fmt: skip
    out.append(f"- Ingestion >= 20,000 events/s: {best_ingest:,.0f}/s "
               f"({'met' if best_ingest >= 20_000 else 'missed'}).")  # fmt: skip
    clean = readd is not None and not readd["non2xx"] and not readd["socket_errors"]
    best_w = max(seq["rps"], readd["rps"] if readd and clean else 0)
    out.append(
        f"- add-checkpoint >= 200/s: {best_w:,.0f}/s ({'met' if best_w >= 200 else 'missed'})."
    )
    p99s = [r[1]["p99_ms"] for r in rows[1:] if r[1]] + [seq["p99_ms"]]
    at_rate = list(ingest_r.values())[-1]["p99_ms"]
    out.append(f"- p99 under 50 ms: reads and witness p99 up to {max(p99s):.1f} ms; a batch of "
               f"1,000 events offered at 20,000 events/s, {at_rate:.0f} ms "
               f"({'met' if max([*p99s, at_rate]) < 50 else 'missed'}). Closed-loop clients "
               "send as fast as answers come, so their latency is queueing behind the one "
               "sequencer (Little's law), not the latency at a given rate.")  # fmt: skip
    if notes:
        out += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    text = "\n".join(out) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
