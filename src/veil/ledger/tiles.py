"""The ledger as a C2SP tlog-tiles log (c2sp.org/tlog-tiles): tile paths, hash tiles, entry
bundles, and a static export of the whole tree.

A hash tile at level ``L``, index ``N`` holds the hashes of the tree level ``8*L`` nodes
``N*256 .. N*256+W-1`` (32 bytes each, 8,192 bytes when full, ``W`` hashes when partial). Level 0
holds leaf hashes; higher levels come from the store's complete subtrees. An entry bundle ``N``
holds leaves ``N*256 ..``, each as a big-endian uint16 length and the exact leaf bytes the RFC 9162
leaf hash is computed over. Paths use the spec's encoding: ``N`` as 3-digit groups, all but the last
prefixed with ``x`` (``1234067`` is ``x001/x234/067``), and ``.p/<W>`` for partial tiles.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veil.errors import BadInputError, VerificationError
from veil.ledger.stores import Store, node_key

if TYPE_CHECKING:
    from veil.ledger import Ledger

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes or entries per full tile
HASH_SIZE = 32
MAX_LEVEL = 63 // TILE_HEIGHT  # tree levels up to 63 (2**63 leaves) are tile levels 0..7
MAX_INDEX = (1 << 63) - 1
MAX_ENTRY_BYTES = 0xFFFF
ENTRIES = -1  # the level of an entry bundle in a :class:`TilePath`


class TilePathError(BadInputError):
    """A tile path that is not in the spec's canonical form."""


@dataclass(frozen=True)
class TilePath:
    """One tile: ``level`` (``ENTRIES`` for an entry bundle), ``index``, ``width`` (256: full)."""

    level: int
    index: int
    width: int = TILE_WIDTH

    @property
    def partial(self) -> bool:
        """Whether this tile holds fewer than a full tile's hashes."""
        return self.width < TILE_WIDTH

    def path(self) -> str:
        """The path under the log prefix, e.g. ``tile/0/x001/x234/067.p/8``."""
        head = "tile/entries" if self.level == ENTRIES else f"tile/{self.level}"
        tail = f".p/{self.width}" if self.partial else ""
        return f"{head}/{encode_index(self.index)}{tail}"


def encode_index(n: int) -> str:
    """``n`` as tlog-tiles path elements: 3-digit groups, all but the last with an ``x``."""
    if not 0 <= n <= MAX_INDEX:
        raise TilePathError(f"tile index {n} is out of range")
    groups = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        groups.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(groups))


def _decimal(text: str, lo: int, hi: int, what: str) -> int:
    if not (text.isascii() and text.isdigit()) or (len(text) > 1 and text[0] == "0"):
        raise TilePathError(f"{what} {text!r} is not a canonical decimal")
    if len(text) > 3 or not lo <= int(text) <= hi:
        raise TilePathError(f"{what} {text!r} is out of range")
    return int(text)


def parse_tile_path(path: str) -> TilePath:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]``, strictly canonical."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TilePathError("not a tile path")
    width = TILE_WIDTH
    if len(parts) >= 4 and parts[-2].endswith(".p"):
        width = _decimal(parts[-1], 1, TILE_WIDTH - 1, "partial width")
        parts = [*parts[:-2], parts[-2][:-2]]
    level = ENTRIES if parts[1] == "entries" else _decimal(parts[1], 0, 63, "tile level")
    elems = parts[2:]
    if len(elems) > 7:
        raise TilePathError("tile index is too long")
    index = 0
    for i, el in enumerate(elems):
        last = i == len(elems) - 1
        digits = el if last else el[1:]
        if (not last and not el.startswith("x")) or len(digits) != 3:
            raise TilePathError(f"tile index element {el!r} is not canonical")
        if not (digits.isascii() and digits.isdigit()):
            raise TilePathError(f"tile index element {el!r} is not canonical")
        index = index * 1000 + int(digits)
    if index > MAX_INDEX:
        raise TilePathError("tile index is out of range")
    tile = TilePath(level, index, width)
    if tile.path() != path:
        raise TilePathError("tile path is not canonical")  # e.g. x000 leading groups
    return tile


def level_width(size: int, level: int) -> int:
    """How many hashes of tile level ``level`` a tree of ``size`` leaves has (entries: leaves)."""
    return size >> (TILE_HEIGHT * max(level, 0))


def available_width(tile: TilePath, size: int) -> int:
    """The width this tile has in a tree of ``size`` leaves (0: not there yet), up to 256."""
    count = level_width(size, tile.level) - tile.index * TILE_WIDTH
    return max(0, min(TILE_WIDTH, count))


def _check_available(tile: TilePath, size: int) -> None:
    have = available_width(tile, size)
    if have < tile.width:
        raise VerificationError(f"{tile.path()} is not in the tree of size {size}")


def hash_tile(store: Store, tile: TilePath, size: int) -> bytes:
    """The bytes of a hash tile of the tree of ``size`` leaves (raises if it does not exist)."""
    if tile.level == ENTRIES:
        raise TilePathError("an entry bundle is not a hash tile")
    _check_available(tile, size)
    tree_level = TILE_HEIGHT * tile.level
    first = tile.index * TILE_WIDTH
    keys = [node_key(tree_level, first + i) for i in range(tile.width)]
    got = store.get_nodes(keys)
    try:
        return b"".join(got[k] for k in keys)
    except KeyError:
        raise VerificationError(
            f"the store lacks a node of {tile.path()}: run `veil ledger verify`"
        ) from None


def entry_bundle(store: Store, tile: TilePath, size: int) -> bytes:
    """The bytes of an entry bundle: each leaf as a big-endian uint16 length and its bytes."""
    if tile.level != ENTRIES:
        raise TilePathError("a hash tile is not an entry bundle")
    _check_available(tile, size)
    first = tile.index * TILE_WIDTH
    out = bytearray()
    expect = first
    for leaf in store.iter_leaves(first, batch=tile.width):
        if leaf.index >= first + tile.width:
            break
        if leaf.index != expect:
            raise VerificationError(f"leaf {expect} is missing: run `veil ledger verify`")
        if len(leaf.data) > MAX_ENTRY_BYTES:
            raise VerificationError(f"leaf {leaf.index} is longer than a tile entry can hold")
        out += len(leaf.data).to_bytes(2, "big") + leaf.data
        expect += 1
    if expect != first + tile.width:
        raise VerificationError(f"leaf {expect} is missing: run `veil ledger verify`")
    return bytes(out)


def read_tile(store: Store, tile: TilePath, size: int) -> bytes:
    """A hash tile or an entry bundle, whichever ``tile`` names."""
    if tile.level == ENTRIES:
        return entry_bundle(store, tile, size)
    return hash_tile(store, tile, size)


def tiles_for_size(size: int, *, entries: bool = True) -> list[TilePath]:
    """Every tile (full ones, and the partial rightmost one per level) of a tree of ``size``."""
    out: list[TilePath] = []
    levels = [ENTRIES] if entries else []
    level = 0
    while level_width(size, level) > 0 and level <= MAX_LEVEL:
        levels.append(level)
        level += 1
    for lv in levels:
        count = level_width(size, lv)
        out += [TilePath(lv, n) for n in range(count // TILE_WIDTH)]
        if count % TILE_WIDTH:
            out.append(TilePath(lv, count // TILE_WIDTH, count % TILE_WIDTH))
    return out


@dataclass(frozen=True)
class TilesExport:
    """What :func:`export_tiles` wrote."""

    out_dir: Path
    size: int
    tiles: int
    entry_bundles: int

    def as_dict(self) -> dict[str, Any]:
        """The JSON-ready form: the folder, tree size and how many tiles and bundles."""
        return {
            "out_dir": str(self.out_dir),
            "size": self.size,
            "tiles": self.tiles,
            "entry_bundles": self.entry_bundles,
        }

    def lines(self) -> list[str]:
        """The one line ``veil ledger tiles`` prints."""
        return [
            f"wrote {self.tiles} hash tile(s) and {self.entry_bundles} entry bundle(s) of tree "
            f"size {self.size} to {self.out_dir}"
        ]


def export_tiles(ledger: Ledger, out_dir: Path, *, entries: bool = True) -> TilesExport:
    """Write the latest checkpoint (with its cosignatures) and every tile of its tree as static
    files under ``out_dir`` (``checkpoint``, ``tile/...``), atomically: the tree is built in a
    temporary folder beside ``out_dir`` and renamed into place; an existing ``out_dir`` is
    replaced only when it holds a previous export."""
    cp = ledger.latest_checkpoint()
    if cp is None:
        raise BadInputError("the ledger has no checkpoint yet: run `veil ledger checkpoint`")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / "checkpoint").is_file():
        raise BadInputError(
            f"{out_dir} is not empty and holds no tiles export: refusing to replace"
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        tiles = tiles_for_size(cp.size, entries=entries)
        for tile in tiles:
            dest = tmp / tile.path()
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(read_tile(ledger.store, tile, cp.size))
        (tmp / "checkpoint").write_text(ledger.note_with_cosignatures(cp), encoding="utf-8")
        for folder, _, _ in os.walk(tmp):
            os.chmod(folder, 0o755)
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            out_dir.rename(old)
        tmp.rename(out_dir)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    n_entries = sum(1 for t in tiles if t.level == ENTRIES)
    return TilesExport(out_dir, cp.size, len(tiles) - n_entries, n_entries)
