"""The private spool folder where a chunked video's workers leave their encoded chunks.

A long video cut into chunks on a cluster does not send its packets back through Ray's object
store (a few hundred megabytes a video, which the store would have to hold until the driver
stitched them). Each chunk worker writes its packets to one file in ``.NAME.chunks/`` beside
the output ``NAME`` (the folder 0700, the files 0600, on storage every node sees, as the inputs
and outputs already are); the driver stitches from those files and removes the folder after the
stitch, whether it succeeded or failed. The folder starts with a dot and never holds a file
named like an output, so a leftover from a crashed run never looks like a finished output; the
next run over that output removes it before it starts.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from veil.errors import OutputError
from veil.private import DIR_MODE, make_private_dirs

__all__ = ["chunk_file", "make_spool", "remove_spool", "spool_folder"]


def spool_folder(target: Path) -> Path:
    """Where the chunks of ``target`` are spooled: ``.NAME.chunks/`` beside it."""
    return target.with_name(f".{target.name}.chunks")


def chunk_file(folder: Path, number: int) -> Path:
    """The file chunk ``number`` of a video is spooled to."""
    return folder / f"{number:05d}.packets"


def make_spool(target: Path) -> Path:
    """A new, empty, owner-only spool folder for ``target`` (a stale one is removed first)."""
    folder = spool_folder(target)
    remove_spool(folder)
    try:
        make_private_dirs(target.parent)
        folder.mkdir(mode=DIR_MODE)
        os.chmod(folder, DIR_MODE)  # whatever the umask
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the chunk spool ({exc})") from exc
    return folder


def remove_spool(folder: Path) -> None:
    """Remove a spool folder and everything in it (nothing if it is not there)."""
    if folder.is_symlink():  # never follow a link planted in its place
        folder.unlink()
    elif folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
