"""``veil gate`` as a library call (veil.consent.gated_batch): what it asks of the batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from veil.batch_run import BatchOptions, BatchOutcome, BatchRequest
from veil.consent import gated_batch
from veil.consent.gate_settings import GateSettings
from veil.consent.gated_batch import GateOptions, anonymize_gated
from veil.errors import ConfigError
from veil.pipeline import BatchSummary


class Silent:
    """A watcher that ignores everything."""

    def planned(self, jobs: object, problems: object) -> None: ...
    def started(self, job: object) -> None: ...
    def advanced(self, frames: int) -> None: ...
    def done(self, result: object) -> None: ...


def test_the_gate_always_logs_and_opens_its_policy_for_the_purpose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[BatchRequest, Any]] = []

    def batch(request: BatchRequest, watcher: object, *, policy: Any = None) -> BatchOutcome:
        asked.append((request, policy))
        return BatchOutcome(BatchSummary())

    monkeypatch.setattr(gated_batch, "anonymize_batch", batch)
    settings = GateSettings(threshold=0.4, recheck_frames=3)
    db = f"sqlite:///{tmp_path / 'veil.db'}"
    options = GateOptions(
        purpose="greet", settings=settings, batch=BatchOptions((tmp_path / "a.jpg",), db=db)
    )
    assert anonymize_gated(options, Silent()).exit_code == 0
    ((request, policy),) = asked
    assert request.trace is not None  # no `veil ledger init` here: the gate logs anyway
    assert request.trace.system == "veil-gate" and request.trace.db_url == db
    assert request.trace.purpose.startswith("greet: recognize consenting people")
    assert (policy.purpose, policy.settings, policy.db_url) == ("greet", settings, db)
    off = GateOptions(purpose="greet", batch=BatchOptions((tmp_path / "a.jpg",), ledger=False))
    anonymize_gated(off, Silent())
    assert asked[-1][0].trace is None  # --no-ledger is honoured


def test_a_misnamed_output_is_refused_before_the_registry_opens(
    tmp_path: Path, isolated_veil_home: Path
) -> None:
    options = GateOptions(
        purpose="greet", batch=BatchOptions((tmp_path / "a.jpg",), tmp_path / "out.mp4")
    )
    with pytest.raises(ConfigError):
        anonymize_gated(options, Silent())
    assert list(isolated_veil_home.iterdir()) == []  # no registry, no ledger was opened
