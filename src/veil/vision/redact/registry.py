"""Redaction modes and mask shapes, found by name.

A *mode* (:class:`Hider`) makes the hidden version of a face region; a *shape* (:class:`Masker`)
says which pixels of that region are replaced. Both live in a :class:`Registry`: the built-in
ones one per module in this package, imported on first use (like the detectors of
:mod:`veil.vision.detectors`), others added with :meth:`Registry.register`. ``veil blur``,
``veil gate`` and ``veil stream`` (and the frame step they share) look modes and shapes up here
by name, so a new one is one new file (or one ``register`` call) and no change to any of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from veil.core.frame import Frame
from veil.errors import ConfigError

if TYPE_CHECKING:
    from veil.vision.detections import BoolArray
    from veil.vision.redact.settings import RedactionSettings

__all__ = ["MODES", "SHAPES", "Hider", "Masker", "Registry"]

T = TypeVar("T")


class Hider(Protocol):
    """A redaction mode: the hidden version of a face region."""

    def __call__(self, region: Frame, face_size: float, settings: RedactionSettings) -> Frame:
        """Return an array shaped like ``region`` (BGR ``uint8``) that shows nothing of the face.

        ``face_size`` is the longer side of the (grown) face box in pixels, so the hiding can
        scale with the face; ``region`` may be only part of the box (clipped at the frame's edge).
        """
        ...


class Masker(Protocol):
    """A mask shape: which pixels of a face region are replaced by the hidden version."""

    def __call__(
        self, height: int, width: int, box: tuple[float, float, float, float]
    ) -> BoolArray | None:
        """The ``[height, width]`` mask of the region to hide, or ``None`` for all of it.

        ``box`` is the grown face box (x0, y0, x1, y1) in the region's own coordinates.
        """
        ...


class Registry(Generic[T]):
    """Parts found by name: built-ins imported on first use, others added with :meth:`register`."""

    def __init__(self, kind: str, builtins: dict[str, str]) -> None:
        self.kind = kind
        self._builtins = dict(builtins)  # name -> "module:attribute"
        self._parts: dict[str, T] = {}

    def register(self, name: str, part: T, *, replace: bool = False) -> None:
        """Make ``part`` available as ``name`` (refused for a taken name unless ``replace``)."""
        if not name or name != name.strip().lower() or any(c.isspace() for c in name):
            raise ConfigError(f"{self.kind} name must be lower case without spaces: {name!r}")
        if not replace and name in self.names():
            raise ConfigError(f"{self.kind} {name!r} is already registered")
        self._parts[name] = part

    def unregister(self, name: str) -> None:
        """Forget a part added with :meth:`register` (built-ins come back on next use)."""
        self._parts.pop(name, None)

    def get(self, name: str) -> T:
        """The part registered as ``name``; :class:`ConfigError` names the known ones."""
        part = self._parts.get(name)
        if part is not None:
            return part
        target = self._builtins.get(name)
        if target is None:
            raise ConfigError(f"unknown {self.kind} {name!r} (known: {', '.join(self.names())})")
        module_name, _, attribute = target.partition(":")
        loaded: T = getattr(importlib.import_module(module_name), attribute)
        return loaded

    def names(self) -> list[str]:
        """Every name, built-ins first in their order, then the registered ones."""
        return list(self._builtins) + [n for n in self._parts if n not in self._builtins]

    def __contains__(self, name: object) -> bool:
        """Whether ``name`` is registered (built-in or added)."""
        return name in self._parts or name in self._builtins


_PACKAGE = "veil.vision.redact"
MODES: Registry[Hider] = Registry(
    "redaction mode",
    {
        "blur": f"{_PACKAGE}.blur:hide",
        "pixelate": f"{_PACKAGE}.pixelate:hide",
        "solid": f"{_PACKAGE}.solid:hide",
        "none": f"{_PACKAGE}.none:hide",
    },
)
SHAPES: Registry[Masker] = Registry(
    "mask shape",
    {"ellipse": f"{_PACKAGE}.ellipse:mask", "box": f"{_PACKAGE}.box:mask"},
)
