"""Breaks cut into intact line art the way `benchmarks.real` cuts real drawings, for the verifier.

The realistic categories (training/gaps/realistic.py) draw their own procedural strokes; the
breaks users bring are in drawn line art: corners, varying widths, strokes crowding each other.
This set takes the intact openclipart and Hershey crops of the train split (the source crops
the pipeline already makes; letters teach which openings stay open), cuts bands of 1-32 px
across single strokes (benchmarks.real.cut_gaps: never a junction), erases each band with its
soft edge and applies one of the real benchmark's degradations (black, pencil at 20% darkness,
aliased, JPEG 40, colour lines). Labels come from the same rule as every other set
(training/gaps/verifier_data.py). The drawings the real benchmark measures on (Tux Paint's
starters) are never used here.
"""

from __future__ import annotations

import numpy as np

from benchmarks.real import VARIANTS, cut_gaps, degrade, enlarge, erased
from krita_linerefiner.core.ink import ink_from_image
from training.gaps.make_data import quantize

MAX_LENGTH = 32  # px: beyond the default max gap (24), as long breaks in drawings are
CUTS = 5  # per 192 x 192 crop (benchmarks.real: 30 per drawing of about 600 x 470)


def make_set(targets: np.ndarray, seed: int, copies: int = 4, cuts: int = CUTS,
             max_length: int = MAX_LENGTH, first: int = 0, scale: int = 1
             ) -> dict[str, np.ndarray]:
    """`copies` cut and degraded versions of each intact crop (targets: (N, S, S) uint8 ink).

    Returns ink, target and gap_labels (M, S, S) uint8 like the other training sets; crops
    where no cut fits are left out. `first`: the index of targets[0] in the whole set (each
    crop's cuts are seeded by its index, so a set made in chunks is the same set). `scale`:
    each crop enlarged that many times first (cubic, as a scan at that resolution shows it:
    lines `scale` times as wide), cut with breaks of up to `max_length` * `scale` px.
    """
    inks, kept, labels_out = [], [], []
    for i, target in enumerate(targets, start=first):
        if scale != 1:
            target = np.clip(enlarge(target, scale), 0, 255).astype(np.uint8)
        lines = target >= 128
        rgb = np.repeat((255 - target)[..., None], 3, axis=2).astype(np.uint8)
        for c in range(copies):
            rng = np.random.default_rng([seed, i, c, 7717] if scale == 1
                                        else [seed, i, c, 7717, scale])
            labels, lengths = cut_gaps(lines, cuts, rng, max_length * scale)
            if not len(lengths):
                continue
            variant = str(VARIANTS[int(rng.integers(len(VARIANTS)))])
            picture = degrade(rgb, erased(labels, lines), variant, rng)
            ink = ink_from_image(np.ascontiguousarray(picture[..., ::-1]))
            inks.append(quantize(ink))
            kept.append(target)
            labels_out.append(labels)
    size = (tuple(s * scale for s in targets.shape[1:]) if len(targets) else (0, 0))
    if not inks:
        empty = np.zeros((0, *size), np.uint8)
        return {"ink": empty, "target": empty, "gap_labels": empty}
    return {"ink": np.stack(inks), "target": np.stack(kept), "gap_labels": np.stack(labels_out)}
