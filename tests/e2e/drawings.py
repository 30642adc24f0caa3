"""Line drawings with known gaps, and the truth to check closed results against."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

LINE = 3


@dataclass(frozen=True)
class Shape:
    inside: tuple[int, int]  # (x, y) of a point inside the shape
    gap: tuple[int, int, int, int]  # x, y, w, h of the cut-out gap


@dataclass(frozen=True)
class Drawing:
    intact: np.ndarray  # (H, W) float32 ink without gaps: the truth
    gapped: np.ndarray  # what the user drew
    shapes: tuple[Shape, ...]
    outside: tuple[int, int]


def drawing(size: int = 256, gap: int = 5) -> Drawing:
    """A rectangle, a circle and a triangle, each with one gap of `gap` pixels."""
    canvas = np.zeros((size, size), np.uint8)
    s = size / 256
    p = lambda v: round(v * s)  # noqa: E731
    cv2.rectangle(canvas, (p(20), p(20)), (p(120), p(110)), 255, LINE)
    cv2.circle(canvas, (p(185), p(70)), p(45), 255, LINE)
    triangle = np.array([[p(40), p(235)], [p(128), p(135)], [p(220), p(235)]], np.int32)
    cv2.polylines(canvas, [triangle], True, 255, LINE)
    intact = canvas.astype(np.float32) / 255
    half = LINE
    shapes = (
        Shape((p(70), p(65)), (p(70), p(20) - half, gap, 2 * half + 1)),  # top edge of the box
        Shape((p(185), p(70)), (p(140) - half, p(70), 2 * half + 1, gap)),  # circle's left side
        Shape((p(128), p(205)), (p(128), p(235) - half, gap, 2 * half + 1)),  # triangle's base
    )
    gapped = intact.copy()
    for shape in shapes:
        x, y, w, h = shape.gap
        gapped[y : y + h, x : x + w] = 0
    return Drawing(intact, gapped, shapes, (2, 2))


def tiled(d: Drawing, times: int) -> Drawing:
    return Drawing(np.tile(d.intact, (times, times)), np.tile(d.gapped, (times, times)),
                   d.shapes, d.outside)


def regions(ink: np.ndarray, level: float = 0.5) -> np.ndarray:
    """Paper regions as a flood fill sees them: 4-connected, ink at or above `level` stops it."""
    paper = (ink < level).astype(np.uint8)
    return cv2.connectedComponents(paper, connectivity=4)[1]


def leaks(ink: np.ndarray, d: Drawing, offset: tuple[int, int] = (0, 0)) -> list[bool]:
    """For each shape: does a fill started inside reach the outside?"""
    labels = regions(ink)
    ox, oy = offset
    outside = labels[oy + d.outside[1], ox + d.outside[0]]
    return [bool(labels[oy + s.inside[1], ox + s.inside[0]] == outside) for s in d.shapes]


def inside_areas(ink: np.ndarray, d: Drawing, offset: tuple[int, int] = (0, 0)) -> list[int]:
    labels = regions(ink)
    ox, oy = offset
    return [int((labels == labels[oy + s.inside[1], ox + s.inside[0]]).sum()) for s in d.shapes]
