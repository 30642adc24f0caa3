"""Drawings and stand-in verifiers shared by the gap-closing tests."""

from __future__ import annotations

import numpy as np


def barely(patches: np.ndarray, features: np.ndarray) -> np.ndarray:
    """A stand-in verifier that gives every candidate 0.05: what the shipped one says to a
    bridge it was never shown (dashes, a faint line far past the max gap)."""
    return np.full(len(features), 0.05, np.float32)


def faint_line_to_a_side(dotted: bool = False) -> np.ndarray:
    """A stroke coming down to y = 19, a line across at y = 50-51 and a 15% hairline from the
    stroke's end down to the line (30 px; with 3 px blanks every 6 px if `dotted`)."""
    ink = np.zeros((80, 100), np.float32)
    ink[5:20, 40:42] = 1.0
    ink[50:52, 5:95] = 1.0
    ink[20:50, 41] = 0.15
    if dotted:
        ink[20:50, 41][np.arange(30) % 6 >= 3] = 0.0
    return ink
