"""Atomic output files: written under a temporary name, renamed into place when complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from veil.errors import MediaError, OutputError


@contextlib.contextmanager
def atomic_output(target: Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` if the block succeeds.

    The temporary file keeps ``target``'s suffix (encoders choose formats by it) and starts with a
    dot, so a partial output never looks complete. On error it is removed and ``target`` is left
    as it was. Without ``overwrite``, an existing ``target`` is an error. A folder that cannot be
    created or written raises :class:`~veil.errors.OutputError` naming ``target``.
    """
    if target.exists() and not overwrite:
        raise MediaError(f"{target}: output exists (use --overwrite to replace it)")
    for folder in (target.parent, *target.parent.parents):
        if folder.exists():
            if not folder.is_dir():
                raise OutputError(f"{target}: cannot write output: {folder} is not a folder")
            break
    with _writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=f".partial{target.suffix}", dir=target.parent
        )
    os.close(fd)
    temporary = Path(name)
    umask = os.umask(0)
    os.umask(umask)
    try:
        with _writing(target):
            os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600; outputs get ordinary ones
        yield temporary
        with _writing(target), open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        if target.exists() and not overwrite:
            raise MediaError(f"{target}: output appeared while writing (use --overwrite)")
        with _writing(target):
            os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def _writing(target: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise _unwritable(target, exc) from exc


def _unwritable(target: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(target) else ""
    return OutputError(f"{target}: cannot write output: {reason}{where}")
