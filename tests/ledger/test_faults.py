"""Crashes and concurrency: a writer killed with SIGKILL mid-batch loses no acknowledged event
and leaves a consistent log; concurrent threads and processes never fork the tree."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.ledger.ledger_helpers import make_event
from veil.ledger import Ledger
from veil.ledger.merkle import verify_consistency
from veil.ledger.note import verify_checkpoint

WRITER = Path(__file__).parent / "ledger_writer.py"


def _writer(url: str, keys: Path, batch: int, batches: int, tag: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), url, str(keys), str(batch), str(batches), tag],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _check_acks(led: Ledger, acks: list[dict[str, Any]]) -> None:
    for ack in acks:
        for offset, event_id in enumerate(ack["ids"]):
            index, event = led.find_event(event_id)
            assert index == ack["start"] + offset, "an acknowledged event moved"
            assert event.id == event_id


def test_sigkill_mid_batch_loses_no_acknowledged_event(db_url: str, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    with Ledger.open(db_url, keys) as led:
        led.append(make_event(0))
        note = led.checkpoint()
    rng = random.Random(7)
    acks: list[dict[str, Any]] = []
    for round_ in range(3):
        proc = _writer(db_url, keys, 2000, 1000, f"crash-{round_}")
        assert proc.stdout is not None
        begun = 0
        while begun < 3 + round_:  # let a few batches commit, then kill inside the next one
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            msg = json.loads(line)
            if "begin" in msg:
                begun += 1
            else:
                acks.append(msg)
        time.sleep(rng.uniform(0.0, 0.02))  # a batch of 2,000 takes longer than this
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        # acknowledgements printed before the kill count too
        acks.extend(m for m in map(json.loads, out.splitlines()) if "ids" in m)
    with Ledger.open(db_url, keys, create=False) as led:
        report = led.verify()
        assert report.ok, report.problems
        _check_acks(led, acks)
        acked = sum(len(a["ids"]) for a in acks)
        size = led.head().size
        assert size >= 1 + acked and (size - 1) % 2000 == 0  # whole batches only
        # the log still extends the checkpoint signed before the crashes
        old = verify_checkpoint(note, led.verifier).checkpoint
        verify_consistency(
            old.size, size, old.root, led.head().root, led.log.consistency_proof(old.size, size)
        )
        assert led.append(make_event(99)) == size  # and it keeps working


def test_threads_share_one_tree(ledger: Ledger) -> None:
    results: list[list[int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    checkpoints: list[str] = []

    def work(t: int) -> None:
        rng = random.Random(t)
        try:
            for k in range(25):
                events = [make_event(t * 10_000 + k * 10 + j) for j in range(rng.randint(1, 4))]
                got = ledger.append_many(events)
                with lock:
                    results.append(got)
                if k % 10 == 0:
                    note = ledger.checkpoint()
                    with lock:
                        checkpoints.append(note)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    indexes = sorted(i for r in results for i in r)
    assert indexes == list(range(len(indexes)))  # no gaps, no index given twice
    for r in results:  # a batch stays contiguous
        assert r == list(range(r[0], r[0] + len(r)))
    report = ledger.verify()
    assert report.ok, report.problems
    assert report.checkpoints_checked == len(checkpoints)


def test_processes_never_fork_the_tree(db_url: str, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    with Ledger.open(db_url, keys):
        pass
    procs = [_writer(db_url, keys, 7, 30, f"proc-{p}") for p in range(4)]
    acks: list[dict[str, Any]] = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        acks.extend(m for m in map(json.loads, out.splitlines()) if "ids" in m)
    starts = sorted(a["start"] for a in acks)
    assert starts == list(range(0, 4 * 30 * 7, 7))  # batches interleave, never overlap
    with Ledger.open(db_url, keys, create=False) as led:
        assert led.head().size == 4 * 30 * 7
        report = led.verify()
        assert report.ok, report.problems
        _check_acks(led, acks)
        for p in range(4):
            assert len(led.events_for_subject(led.pseudonym(f"proc-{p}"))) == 30 * 7
