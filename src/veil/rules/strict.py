"""Strict types for the files the checks read: what the file says is what the model gets.

Lax validation turned ``"6"`` into 6, ``1`` into ``True`` and ``true`` into 1, so a mistyped
inventory or deployment was checked as something it does not say. :class:`FileModel` validates
file data with pydantic's strict JSON rules: numbers must be numbers, booleans ``true``/``false``
and text quoted or plain text, while enum names and lists still come as YAML/JSON writes them.
Values YAML can hold but JSON cannot (dates, binary, sets) are refused where they appear.
"""

from __future__ import annotations

import json
import math
from typing import Any, Self

from pydantic import BaseModel, ConfigDict


def _jsonable(value: Any) -> Any:
    """``value`` with every non-JSON leaf replaced by a marker no scalar field accepts."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return {"not a finite number": str(value)}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return {"not a JSON value": type(value).__name__}


class FileModel(BaseModel):
    """A frozen model that forbids unknown keys; build it from file data with ``from_file``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def from_file(cls, data: Any) -> Self:
        """Validate parsed YAML/JSON ``data`` strictly (``ValidationError`` when invalid)."""
        return cls.model_validate_json(json.dumps(_jsonable(data)), strict=True)
