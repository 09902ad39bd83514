from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import veil


def test_version_alone_prints_the_version_and_exits_0() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "veil.cli.main", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"veil {veil.__version__}"
    assert "Missing command" not in result.stderr


def test_package_metadata_and_module_version_agree() -> None:
    assert metadata.version("veil") == veil.__version__
