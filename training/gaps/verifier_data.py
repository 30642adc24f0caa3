"""Training rows for the gap verifier: candidate bridges found on generated drawings, labelled.

numpy + opencv only (tested without torch). A candidate is positive when it runs along the
intact drawing's line and crosses a cut: closing it restores what the break removed. Every
other candidate (across paper, to dust, between parallel strokes, to a hair tip's neighbour)
is negative.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import cv2
import numpy as np

from krita_linerefiner.core.candidates import (
    BRIDGE_CURVE,
    FEATURES,
    SAMPLING_POINT,
    Candidates,
    LineMap,
    StrokeEnds,
    candidate_curves,
    find_ends,
    patches,
    propose,
)
from krita_linerefiner.core.lines import normalise_lines

ON_LINE_TOLERANCE = 1.5  # px from the intact line; plus LENGTH_SLACK per px of bridge
LENGTH_SLACK = 0.08  # a straight bridge across a curved break strays from the curve
NEAR_CUT = 2.0
NATURAL_BREAK = 3.0  # px: a natural break this short is closed, as users want


@dataclass(frozen=True)
class Rows:
    patches: np.ndarray  # (N, C, P, P) float16 to halve the memory of big sets
    features: np.ndarray  # (N, F) float32
    labels: np.ndarray  # (N,) uint8
    lengths: np.ndarray  # (N,) float32
    drawing: np.ndarray  # (N,) int32: which drawing each row comes from

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        return Rows(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Rows)))

    def take(self, keep: np.ndarray) -> Rows:
        """The rows `keep` (a bool mask or indices) selects, every array alike."""
        return Rows(*(getattr(self, f.name)[keep] for f in fields(Rows)))


def label_candidates(cands: Candidates, target: np.ndarray, gap_labels: np.ndarray,
                     line: np.ndarray | None = None, ends: StrokeEnds | None = None
                     ) -> np.ndarray:
    """(N,) bool: the candidate fills a cut, or closes a natural break.

    Fills a cut: every point of it that is paper in the input lies on or next to a cut (within
    NEAR_CUT, plus LENGTH_SLACK per px for curved breaks) and on the target's line, and it
    touches a cut. A natural break (the issue's rule: users want those closed) is a bridge of at
    most NATURAL_BREAK px from a stroke end heading at the other side (within 60 degrees of its
    direction) between two points of the intact drawing's line, across no cut: a stroke that
    stops just short of another. Wider natural openings stay negative.
    With `ends`, each candidate is judged along the curve a closure would be drawn on
    (candidate_curves: a break in a curved stroke is closed along the curve, and its straight
    chord may run off the stroke); without, along its straight chord.
    """
    n = len(cands)
    if n == 0:
        return np.zeros(0, bool)
    true_line = target >= 0.5
    off_line = cv2.distanceTransform((~true_line).view(np.uint8), cv2.DIST_L2, 3)
    cut = gap_labels > 0
    off_cut = (cv2.distanceTransform((~cut).view(np.uint8), cv2.DIST_L2, 3) if cut.any()
               else np.full(cut.shape, np.inf, np.float32))
    h, w = true_line.shape
    drawn = np.zeros_like(true_line) if line is None else line
    t = np.linspace(0.0, 1.0, 25)[None, :, None]
    pts = (cands.start[:, None, :] + t * (cands.stop - cands.start)[:, None, :] if ends is None
           else candidate_curves(cands, ends, t.shape[1]))
    iy = np.rint(pts[..., 0]).astype(int).clip(0, h - 1)
    ix = np.rint(pts[..., 1]).astype(int).clip(0, w - 1)
    tolerance = ON_LINE_TOLERANCE + LENGTH_SLACK * cands.length
    follows = (off_line[iy, ix] <= tolerance[:, None]).all(axis=1)
    on_paper = ~drawn[iy, ix]
    fills = (~on_paper | (off_cut[iy, ix] <= NEAR_CUT + LENGTH_SLACK * cands.length[:, None])
             ).all(axis=1)
    crosses = (off_cut[iy, ix] <= NEAR_CUT).any(axis=1)
    ends_on_line = true_line[iy[:, 0], ix[:, 0]] & true_line[iy[:, -1], ix[:, -1]]
    # A real break: the intact drawing has paper somewhere along the bridge.
    broken = (~true_line[iy[:, 1:-1], ix[:, 1:-1]]).any(axis=1)
    natural = ((cands.length <= NATURAL_BREAK) & ends_on_line & broken & ~crosses
               & (cands.features[:, FEATURES.index("cos_a")] >= 0.5))
    return (follows & fills & crosses) | natural


def rows_for(ink: np.ndarray, target: np.ndarray, gap_labels: np.ndarray, max_gap: int,
             drawing: int = 0, bridge: str = BRIDGE_CURVE,
             sampling: str = SAMPLING_POINT) -> Rows:
    """Candidates of one drawing (ink and target float32 0..1) with their labels. `bridge`:
    what the patches' bridge channel shows (the chord or the curve), and what the labels are
    judged along; `sampling`: how the patches read the drawing (candidates.patches)."""
    norm, _ = normalise_lines(ink)
    lines = LineMap.from_ink(norm)
    ends = find_ends(lines)
    cands = propose(lines, ends, max_gap)
    curve = bridge == BRIDGE_CURVE
    labels = label_candidates(cands, target, gap_labels, lines.line, ends if curve else None)
    n = len(cands)
    block = patches(lines, cands, ends, bridge=bridge, sampling=sampling)
    return Rows(block.astype(np.float16), cands.features,
                labels.astype(np.uint8), cands.length.astype(np.float32),
                np.full(n, drawing, np.int32))


def cap_negatives(rows: Rows, per_drawing: int, seed: int) -> Rows:
    """`rows` with at most `per_drawing` negative rows of each drawing (a seeded random choice;
    every positive kept). A texture gives a drawing thousands of candidates, nearly all alike:
    uncapped, the shading category would outweigh every other one in training."""
    keep = rows.labels > 0
    rng = np.random.default_rng(seed)
    for d in np.unique(rows.drawing):
        neg = np.flatnonzero((rows.drawing == d) & (rows.labels == 0))
        if len(neg) > per_drawing:
            neg = rng.choice(neg, per_drawing, replace=False)
        keep[neg] = True
    return rows.take(keep)


def rows_for_set(data: dict[str, np.ndarray], max_gap: int, first_id: int = 0,
                 bridge: str = BRIDGE_CURVE, sampling: str = SAMPLING_POINT) -> Rows:
    parts = []
    for i in range(len(data["ink"])):
        ink = data["ink"][i].astype(np.float32) / 255.0
        target = data["target"][i].astype(np.float32) / 255.0
        parts.append(rows_for(ink, target, data["gap_labels"][i], max_gap, first_id + i, bridge,
                              sampling))
    return Rows.concat(parts)
