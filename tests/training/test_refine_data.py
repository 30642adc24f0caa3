from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from training.refine import strokes as st
from training.refine.make_data import Sources, compose, make_pairs
from training.refine.render import render_pair, taper_widths


def procedural_sources() -> Sources:
    fonts = st.hershey_fonts("train") if st.HERSHEY_DIR.is_dir() else []
    return Sources(drawings=[], fonts=fonts[:2])


def test_pairs_are_deterministic():
    src = procedural_sources()
    a = make_pairs(src, 3, 96, seed=5, stream=1)
    b = make_pairs(src, 3, 96, seed=5, stream=1)
    c = make_pairs(src, 3, 96, seed=6, stream=1)
    for p, q in zip(a, b, strict=True):
        for field in ("inp", "ink", "keep", "speck", "centerline"):
            assert np.array_equal(getattr(p, field), getattr(q, field))
    assert any(not np.array_equal(p.ink, r.ink) for p, r in zip(a, c, strict=True))


def shift_of_best_match(a: np.ndarray, b: np.ndarray, radius: int = 3) -> tuple[int, int]:
    best, arg = -np.inf, (0, 0)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            score = float((np.roll(a, (dy, dx), axis=(0, 1)) * b).sum())
            if score > best:
                best, arg = score, (dy, dx)
    return arg


@pytest.mark.parametrize("seed", range(4))
def test_input_and_targets_are_aligned(seed):
    rng = np.random.default_rng(seed)
    pair = render_pair(rng, [st.bezier(rng, 128) for _ in range(4)], 128)
    inp = pair.inp.astype(np.float32) / 255
    for target in (pair.ink, pair.keep):
        assert shift_of_best_match(inp, target.astype(np.float32) / 255) == (0, 0)


def test_keep_target_keeps_input_width_and_ink_target_tapers():
    rng = np.random.default_rng(1)
    stroke = st.Stroke(st.resample(np.array([[10.0, 64.0], [118.0, 64.0]]), 1.5))
    pair = render_pair(rng, [stroke], 128)
    keep = pair.keep.astype(np.float32) / 255
    ink = pair.ink.astype(np.float32) / 255
    inp = (pair.inp.astype(np.float32) / 255) * (pair.inp > 40)  # ignore dust and JPEG haze
    mid = slice(50, 78)
    width_in, width_keep = inp[:, mid].sum(0).mean(), keep[:, mid].sum(0).mean()
    assert abs(width_keep - width_in) < 0.6
    # ink style: thicker mid-stroke than near the ends
    assert ink[:, 60:68].sum(0).mean() > ink[:, 12:15].sum(0).mean() + 0.3


def test_taper_is_thinnest_at_open_ends_and_flat_on_closed_strokes():
    pts = st.resample(np.array([[0.0, 0.0], [100.0, 0.0]]), 1.0)
    w = taper_widths(pts, 3.0, closed=False)
    assert w[0] < w[len(w) // 2] and w[-1] < w[len(w) // 2]
    assert w.max() == pytest.approx(3.0)
    assert np.all(taper_widths(pts, 3.0, closed=True) == 3.0)


def test_specks_are_in_the_input_only():
    src = procedural_sources()
    pairs = make_pairs(src, 6, 128, seed=0, stream=3)
    speck_pixels = sum(int(p.speck.sum()) for p in pairs)
    assert speck_pixels > 0
    for p in pairs:
        assert np.all(p.ink[p.speck] == 0) and np.all(p.keep[p.speck] == 0)
        assert np.all(p.inp[p.speck] >= 128)
        assert np.all(p.ink[p.centerline] >= 127)


@pytest.mark.skipif(not st.HERSHEY_DIR.is_dir(), reason="hershey-fonts-data not installed")
def test_hershey_glyphs_parse_into_strokes():
    glyphs = st.parse_jhf(st.HERSHEY_DIR / "futural.jhf")
    assert len(glyphs) > 90
    a = glyphs[ord("A") - 32]
    assert len(a) == 3  # two slants and the bar
    n_fonts = len(list(st.HERSHEY_DIR.glob("*.jhf")))
    assert len(st.hershey_fonts("eval")) == len(st.HERSHEY_EVAL_FONTS)
    assert len(st.hershey_fonts("train")) == n_fonts - len(st.HERSHEY_EVAL_FONTS)


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="librsvg2-bin not installed")
def test_svg_outlines_are_traced(tmp_path: Path):
    svg = tmp_path / "two.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
                   '<circle cx="50" cy="50" r="30" fill="black"/>'
                   '<rect x="5" y="5" width="20" height="20" fill="#888"/></svg>')
    strokes = st.trace_svg(svg, render_size=200)
    assert len(strokes) >= 2
    longest = max(strokes, key=lambda s: s.length)
    # the circle's outline: radius 60 px at this render size
    assert longest.length == pytest.approx(2 * np.pi * 60, rel=0.1)


def test_compose_keeps_strokes_on_the_canvas():
    rng = np.random.default_rng(0)
    strokes = compose(rng, procedural_sources(), 96)
    assert strokes
    for s in strokes:
        assert ((s.points > -10) & (s.points < 106)).all(axis=1).any()


def test_eval_split_is_disjoint():
    names = [f"drawing_{i}.svg" for i in range(2000)]
    held = [n for n in names if st.is_eval_name(n)]
    assert 100 < len(held) < 300
    assert all(st.is_eval_name(n) for n in held)
