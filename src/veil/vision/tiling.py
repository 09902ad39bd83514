"""Overlapping tiles, so small faces in large frames are seen at full resolution."""

from __future__ import annotations

import math


def plan_tiles(
    width: int, height: int, tile: int, overlap: float = 0.2
) -> list[tuple[int, int, int, int]]:
    """Cover a ``width`` x ``height`` frame with tiles of at most ``tile`` pixels a side.

    Neighbouring tiles overlap by about ``overlap`` of a tile, so a face cut by one tile's edge
    lies whole in the next. Returns ``(x0, y0, x1, y1)`` rectangles.
    """
    return [
        (x0, y0, x1, y1)
        for y0, y1 in _spans(height, tile, overlap)
        for x0, x1 in _spans(width, tile, overlap)
    ]


def _spans(length: int, tile: int, overlap: float) -> list[tuple[int, int]]:
    if length <= tile:
        return [(0, length)]
    step = tile * (1 - overlap)
    count = math.ceil((length - tile) / step) + 1
    stride = (length - tile) / (count - 1)
    return [(round(i * stride), round(i * stride) + tile) for i in range(count)]
