"""Owner-only files: Veil's home folder is 0700 and every SQLite database Veil creates is 0600.

The database holds raw subject identifiers, consent records, wrapped keys and template
ciphertexts, so new files get their modes set explicitly (whatever the umask). Existing files
keep the modes their owner gave them: Veil never changes those silently, it logs one warning
(logger ``veil``, shown on stderr) when one is readable or writable by group or others.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("veil")

DIR_MODE = 0o700
FILE_MODE = 0o600
SIDECARS = ("-wal", "-shm", "-journal")

_warned: set[Path] = set()


def _open_to_others(path: Path) -> bool:
    try:
        return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)
    except OSError:
        return False


def warn_if_shared(path: Path, what: str) -> None:
    """Log one warning per process when ``path`` is accessible to group or others."""
    key = path.absolute()
    if key in _warned or not _open_to_others(path):
        return
    _warned.add(key)
    mode = stat.S_IMODE(path.stat().st_mode)
    log.warning(
        "veil: warning: %s %s is accessible to group or others (mode %04o); "
        "it holds personal data: chmod %s %s",
        what,
        path,
        mode,
        "700" if path.is_dir() else "600",
        path,
    )


def make_private_dirs(path: Path) -> None:
    """Create ``path`` and its missing parents, each new folder mode 0700 (umask-independent)."""
    missing: list[Path] = []
    here = path
    while not here.exists():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # made meanwhile by another process: its creator chose the mode
        os.chmod(folder, DIR_MODE)


def private_home(path: Path) -> Path:
    """Create Veil's home 0700 if it is missing; warn when an existing one is shared."""
    if path.exists():
        warn_if_shared(path, "Veil home")
    else:
        make_private_dirs(path)
    return path


def prepare_database(path: Path) -> bool:
    """Before SQLite opens ``path``: create it empty with mode 0600 (and its missing folders
    0700), or warn when the existing file is shared. Returns True when the file is new."""
    if str(path) in ("", ":memory:"):
        return False
    make_private_dirs(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        warn_if_shared(path, "database")
        return False
    except OSError:
        return False  # SQLite reports why it cannot open the file, as the stores expect
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return True


def secure_sidecars(path: Path, new: bool) -> None:
    """After SQLite opened ``path``: set its -wal/-shm/-journal files to 0600 when the database is
    new (SQLite gives them the database file's mode), else warn when one is shared."""
    for suffix in SIDECARS:
        side = path.with_name(path.name + suffix)
        if not side.exists():
            continue
        if new:
            try:
                os.chmod(side, FILE_MODE)
            except FileNotFoundError:
                continue
        else:
            warn_if_shared(side, "database file")


def connect_private(path: Path, timeout: float) -> sqlite3.Connection:
    """Open the SQLite database at ``path`` in WAL mode, owner-only when Veil creates it."""
    new = prepare_database(path)
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=timeout
    )
    conn.execute("PRAGMA journal_mode=WAL")
    secure_sidecars(path, new)
    return conn


@contextmanager
def exclusive_lock(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (made 0600 when new) for the body of the ``with``,
    across processes; the kernel drops it if the process dies. Blocks until it is free, or
    raises :class:`TimeoutError` after ``timeout`` seconds (polled every millisecond)."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, FILE_MODE)
    try:
        if timeout is None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        else:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise TimeoutError(f"{path.name} stayed locked for {timeout:g} s") from None
                    time.sleep(0.001)
        yield
    finally:
        os.close(fd)  # closing releases the flock
