"""Joining a cluster and sizing its workers, without a cluster (a stand-in ``ray`` module)."""

from __future__ import annotations

from typing import Any

import pytest

from veil.errors import ClusterError, ConfigError
from veil.scale.cluster import RaySettings, cluster_failure, connect_timeout, worker_plan


class FakeRay:
    def __init__(self, cpus: float) -> None:
        self.cpus = cpus

    def cluster_resources(self) -> dict[str, Any]:
        return {"CPU": self.cpus}


@pytest.mark.parametrize(
    ("cpus", "workers", "expected"),
    [
        (2.0, 0, (2, 1.0)),  # one worker per CPU
        (2.0, 1, (1, 1.0)),
        (2.0, 4, (4, 0.5)),  # more workers than CPUs: each a share, so all are placed at once
        (3.0, 7, (7, 0.42)),
    ],
)
def test_every_worker_fits_on_the_cluster_at_once(
    cpus: float, workers: int, expected: tuple[int, float]
) -> None:
    count, share = worker_plan(FakeRay(cpus), RaySettings(workers=workers))
    assert (count, share) == expected
    assert count * share <= cpus


def test_the_connect_timeout_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VEIL_RAY_CONNECT_TIMEOUT", raising=False)
    assert connect_timeout() == 30.0
    monkeypatch.setenv("VEIL_RAY_CONNECT_TIMEOUT", "2.5")
    assert connect_timeout() == 2.5
    for bad in ("0", "-3", "soon", "inf"):
        monkeypatch.setenv("VEIL_RAY_CONNECT_TIMEOUT", bad)
        with pytest.raises(ConfigError, match="VEIL_RAY_CONNECT_TIMEOUT"):
            connect_timeout()


def test_a_lost_cluster_is_one_line_with_a_failing_exit_status() -> None:
    error = cluster_failure(RuntimeError("Traceback ...\n  frame\nThe actor died unexpectedly. "))
    assert isinstance(error, ClusterError) and error.exit_code == 1
    assert "\n" not in str(error) and "The actor died unexpectedly." in str(error)
    assert "rerun resumes" in str(error)
