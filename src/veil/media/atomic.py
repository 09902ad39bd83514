"""Atomic output files (moved to :mod:`veil.core.atomic`; these names are kept for callers)."""

from __future__ import annotations

from veil.core.atomic import atomic_output, remove_stale_partials

__all__ = ["atomic_output", "remove_stale_partials"]
