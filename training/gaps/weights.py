"""Extra per-pixel loss weights for GapNet training (numpy, so they are tested without torch)."""

from __future__ import annotations

import numpy as np


def _per_label(table: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each pixel's entry of its crop's row of `table` (crops x 256), indexed by its gap label."""
    rows = np.arange(len(labels)).reshape((-1,) + (1,) * (labels.ndim - 1))
    return table[rows, labels.astype(np.int64)].astype(np.float32)


def short_gap_weight(
    labels: np.ndarray, lengths: np.ndarray, limit: float, weight: float
) -> np.ndarray:
    # Short gaps cover few pixels, so a per-pixel loss hardly sees them; this adds weight on
    # the cut pixels of gaps up to `limit` px long.
    table = np.zeros((len(labels), 256), np.float32)
    k = lengths.shape[1]
    table[:, 1 : k + 1] = np.where((lengths > 0) & (lengths <= limit), weight, 0.0)
    return _per_label(table, labels)


def gap_balance_weight(
    labels: np.ndarray, target: np.ndarray, weight: float, reference: float = 12.0,
    cap: float = 8.0
) -> np.ndarray:
    # A per-pixel loss weighs a gap by its area, so a break in a 1 px line counts a quarter of
    # one in a 4 px line. This adds weight * min(cap, reference / line pixels of the cut) on each
    # cut pixel, so every gap gets about the same say whatever the line width.
    b = len(labels)
    flat = labels.reshape(b, -1).astype(np.int64) + 256 * np.arange(b)[:, None]
    line = (target.reshape(b, -1) >= 128).astype(np.float64)
    counts = np.bincount(flat.ravel(), weights=line.ravel(), minlength=256 * b).reshape(b, 256)
    table = weight * np.minimum(cap, reference / np.maximum(counts, 1.0))
    table[:, 0] = 0.0
    return _per_label(table, labels)
