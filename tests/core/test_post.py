from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.smoothing import inked_area, jaggedness
from krita_linerefiner.core.post import (
    CURVE_PRESETS,
    curve_values,
    krita_curve_string,
    parse_krita_curve_string,
    smooth,
    tone_curve,
)


def soft_lines(size: int = 96) -> np.ndarray:
    canvas = np.zeros((size * 4, size * 4), np.uint8)
    for k in range(6):
        cv2.line(canvas, (8, 20 + 60 * k), (size * 4 - 8, 40 + 50 * k), 255, 4 + 2 * k, cv2.LINE_AA)
    return cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


@st.composite
def curves(draw: st.DrawFn) -> list[tuple[float, float]]:
    n = draw(st.integers(0, 4))
    xs = sorted(set(draw(st.lists(st.floats(0.02, 0.98), min_size=n, max_size=n))))
    xs = [x for i, x in enumerate(xs) if i == 0 or x - xs[i - 1] > 1e-3]
    ys = sorted(draw(st.lists(st.floats(0.0, 1.0), min_size=len(xs), max_size=len(xs))))
    return [(0.0, 0.0), *zip(xs, ys, strict=True), (1.0, 1.0)]


@given(curves())
def test_curve_through_sorted_points_is_monotone_and_passes_them(points):
    x = np.linspace(0, 1, 2001)
    y = curve_values(points, x)
    assert np.all(np.diff(y) >= -1e-9)
    xs, ys = np.array(points).T
    assert np.allclose(curve_values(points, xs), ys, atol=1e-9)


def test_identity_curve_is_identity():
    ink = np.random.default_rng(0).random((40, 50)).astype(np.float32)
    out = tone_curve(ink, [(0.0, 0.0), (1.0, 1.0)])
    assert np.abs(out - ink).max() <= 1 / 4095 / 2 + 1e-6


def test_presets_order_thin_normal_bold():
    ink = soft_lines()
    means = [float(tone_curve(ink, name).mean()) for name in ("thin", "normal", "bold")]
    assert means[0] < means[1] < means[2]
    # and they are about line weight: paper stays paper, solid ink stays solid
    for name in CURVE_PRESETS:
        assert tone_curve(np.array([[0.0, 1.0]]), name).tolist() == [[0.0, 1.0]]


def test_curve_is_flat_outside_its_end_points():
    points = [(0.2, 0.1), (0.8, 0.9)]
    y = curve_values(points, np.array([0.0, 0.1, 0.9, 1.0]))
    assert y.tolist() == pytest.approx([0.1, 0.1, 0.9, 0.9])


@pytest.mark.parametrize(
    "points",
    [[(0.0, 0.0)], [(0.5, 0.1), (0.5, 0.2)], [(0.0, 0.0), (1.2, 1.0)], [(0.0, -0.1), (1.0, 1.0)]],
)
def test_bad_curves_are_rejected(points):
    with pytest.raises(ValueError):
        curve_values(points, np.zeros(1))


@pytest.mark.parametrize("name", sorted(CURVE_PRESETS))
def test_krita_string_round_trips(name):
    text = krita_curve_string(name)
    # KisCubicCurve::toString: every point is "x,y;" including the last one
    assert text.endswith(";") and text.count(";") == len(CURVE_PRESETS[name])
    np.testing.assert_allclose(parse_krita_curve_string(text), CURVE_PRESETS[name], atol=1e-6)


def test_krita_string_uses_qt_number_format():
    assert krita_curve_string([(0, 0), (0.5, 0.123456789), (1, 1)]) == "0,0;0.5,0.123457;1,1;"
    # newer Krita may append a corner flag; like fromString we ignore extra fields
    assert parse_krita_curve_string("0,0,0;0.5,0.6,1;1,1;") == [(0, 0), (0.5, 0.6), (1, 1)]


# ---------------------------------------------------------------- smoothing

def staircase(width: int, slope: float = 0.36) -> np.ndarray:
    img = np.zeros((80, 140), np.uint8)
    cv2.line(img, (-20, 70), (160, int(70 - 180 * slope)), 255, width, cv2.LINE_8)
    return img.astype(np.float32) / 255


@pytest.mark.parametrize(("width", "slope"), [(1, 0.36), (3, 0.36), (3, 0.1), (5, 0.7)])
def test_smooth_makes_aliased_diagonal_smoother_without_changing_area(width, slope):
    ink = staircase(width, slope)
    out = smooth(ink, 0.6)
    assert abs(out.sum() / ink.sum() - 1) < 0.05
    if width > 1:  # a 1 px line has no stable 0.5 iso-contour once anti-aliased
        assert jaggedness(out) < 0.7 * jaggedness(ink)
        assert abs(inked_area(out) / inked_area(ink) - 1) < 0.05


def test_smooth_zero_is_identity_and_range_is_checked():
    ink = staircase(2)
    assert np.array_equal(smooth(ink, 0.0), ink)
    with pytest.raises(ValueError):
        smooth(ink, 1.5)


def test_smooth_keeps_square_corners():
    ink = np.zeros((60, 60), np.float32)
    ink[15:45, 15:45] = 1.0
    out = smooth(ink, 1.0)
    # an axis-aligned square has no jaggies: corners and edges must stay where they are
    assert out[15, 15] > 0.7 and out[44, 44] > 0.7
    assert np.abs(out - ink).sum() < 0.03 * ink.sum()


def test_smooth_keeps_grey_lines_grey():
    ink = staircase(3) * 0.6
    out = smooth(ink, 0.5)
    assert 0.5 < out.max() <= 0.61
