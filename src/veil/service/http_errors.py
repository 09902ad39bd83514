"""Library errors as HTTP answers: one line of detail, never a traceback.

``no ...`` (an unknown record, request, deployment or camera) is 404; a missing master key is
503 (the service is not configured to do that); any other bad input or configuration is 400.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException

from veil.consent.vault import MasterKeyError
from veil.errors import VeilError


@contextmanager
def as_http() -> Iterator[None]:
    """Turn a :class:`VeilError` raised in the block into an :class:`HTTPException`."""
    try:
        yield
    except MasterKeyError as exc:
        raise HTTPException(503, str(exc)) from None
    except VeilError as exc:
        message = " ".join(str(exc).split())
        raise HTTPException(404 if message.startswith("no ") else 400, message) from None
