"""Veil: protect faces and personal information.

The public API is re-exported here; everything else may change freely.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
