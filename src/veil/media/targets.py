"""Output names that fit their inputs: an image is never written under a video's name, nor the
reverse, and a file-like name never silently becomes a folder.

Rule (used by ``veil blur`` and ``veil gate``): with one input file, an ``-o`` that is not an
existing folder and has an extension names the output file, and its extension must be one of the
input's kind (for images it then picks the format: ``x.jpg``, ``x.png``, ``x.webp``, ...). An
``-o`` without an extension is a folder. Where a folder is needed (a folder input, several
inputs), an ``-o`` named like a media file is refused. Anything else is a usage error.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from veil.errors import ConfigError
from veil.media.images import IMAGE_SUFFIXES
from veil.media.video import VIDEO_SUFFIXES


def _allowed(suffixes: frozenset[str]) -> str:
    return ", ".join(sorted(suffixes))


def is_file_target(inputs: Sequence[Path], output: Path | None) -> bool:
    """Whether ``output`` names the output file of a single input (else it is a folder).

    Raises :class:`ConfigError` when ``output``'s extension does not fit the input.
    """
    if output is None or output.is_dir():
        return False
    suffix = output.suffix.lower()
    single = len(inputs) == 1 and not inputs[0].is_dir()
    if not single:
        if suffix in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
            raise ConfigError(
                f"{output}: several inputs or a folder need an output folder, not a file name"
            )
        return False
    if not suffix:
        return False
    source = inputs[0].suffix.lower()
    for kind, suffixes in (("image", IMAGE_SUFFIXES), ("video", VIDEO_SUFFIXES)):
        if source in suffixes:
            if suffix not in suffixes:
                raise ConfigError(
                    f"{output}: a {kind} cannot be written as {suffix!r} "
                    f"(use one of {_allowed(suffixes)}, or a folder name without an extension)"
                )
            return True
    return False  # unsupported input: reported per file by the planner


def check_output_name(inputs: Sequence[Path], output: Path | None) -> None:
    """Refuse (``ConfigError``) an ``-o`` whose extension does not fit the inputs."""
    is_file_target(inputs, output)
