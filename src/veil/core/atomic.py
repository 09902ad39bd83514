"""Atomic file writes: written under a temporary name, fsynced, renamed into place when complete.

:func:`atomic_output` is the general form (a path to hand to any encoder). :func:`write_file_atomic`
writes bytes or text with a given mode through the same steps; keys, vault, witness and ledger
records use it.

A writer holds an exclusive ``flock`` on its temporary file while it writes. A temporary file of
an :func:`atomic_output` target that nobody holds is left over from a killed run (SIGKILL, power
loss) and is removed the next time that target is written; one still held belongs to a live
writer and stays.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from veil.errors import MediaError, OutputError

_RANDOM = r"[a-z0-9_]{8}"  # what tempfile.mkstemp puts between prefix and suffix


def _partial_affixes(target: Path) -> tuple[str, str]:
    return f".{target.stem}.", f".partial{target.suffix}"


def remove_stale_partials(target: Path) -> list[Path]:
    """Remove ``target``'s temporary files that no live writer holds; return what was removed."""
    prefix, suffix = _partial_affixes(target)
    pattern = re.compile(re.escape(prefix) + _RANDOM + re.escape(suffix))
    removed: list[Path] = []
    try:
        candidates = [p for p in target.parent.iterdir() if pattern.fullmatch(p.name)]
    except OSError:
        return removed
    for path in candidates:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a live writer holds it
        else:
            path.unlink(missing_ok=True)
            removed.append(path)
        finally:
            os.close(fd)
    return removed


@contextlib.contextmanager
def atomic_output(target: Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` if the block succeeds.

    The temporary file keeps ``target``'s suffix (encoders choose formats by it) and starts with a
    dot, so a partial output never looks complete. On error it is removed and ``target`` is left
    as it was. Without ``overwrite``, an existing ``target`` is an error. Stale temporary files of
    ``target`` left by a killed run are removed first. A folder that cannot be created or written
    raises :class:`~veil.errors.OutputError` naming ``target``.
    """
    remove_stale_partials(target)
    if target.exists() and not overwrite:
        raise MediaError(f"{target}: output exists (use --overwrite to replace it)")
    for folder in (target.parent, *target.parent.parents):
        if folder.exists():
            if not folder.is_dir():
                raise OutputError(f"{target}: cannot write output: {folder} is not a folder")
            break
    prefix, suffix = _partial_affixes(target)
    with _writing(target):
        fd, temporary = _create_temporary(target, prefix, suffix)
    try:
        umask = os.umask(0)
        os.umask(umask)
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
        os.close(fd)


def write_file_atomic(path: Path, data: str | bytes, mode: int = 0o644) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` with ``mode``: temporary file, fsync, rename.

    The file has ``mode`` before any byte is written (a 0600 secret is never readable by others,
    not even half-written), and ``path`` keeps its old content until the rename. The temporary
    file is ``.<name>.<random>.partial`` (hidden, and never matching ``*<suffix>``). An existing
    ``path`` is replaced. Failures raise :class:`OSError` and leave no temporary file.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, temporary = _create_temporary(path, f".{path.name}.", ".partial")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(os.dup(fd), "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
        os.close(fd)


def publish_written(partial: Path, target: Path) -> None:
    """Move a fully written and flushed ``partial`` file onto ``target`` in one step (fsync first).

    For files written as a stream under a name of their own (a chunk's spooled packets) rather
    than in one :func:`write_file_atomic` call: a reader sees either no ``target`` or all of it.
    """
    with open(partial, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)


def _create_temporary(target: Path, prefix: str, suffix: str) -> tuple[int, Path]:
    """A new 0600 file beside ``target`` (creating the folder), locked while ``fd`` is open."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=target.parent)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # ours until closed: not stale while we write
    except BaseException:
        os.close(fd)
        Path(name).unlink(missing_ok=True)
        raise
    return fd, Path(name)


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


@contextlib.contextmanager
def scratch_file(folder: Path, data: bytes, suffix: str = "") -> Iterator[Path]:
    """``data`` in a private (0600), hidden temporary file in ``folder`` for the block; removed
    afterwards (e.g. an upload a file-based checker or reader must see as a path)."""
    fd, name = tempfile.mkstemp(dir=folder, prefix=".scratch-", suffix=suffix)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        yield path
    finally:
        path.unlink(missing_ok=True)
