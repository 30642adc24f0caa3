from __future__ import annotations

import cv2
import numpy as np
import pytest

from krita_linerefiner.core.errors import LineRefinerError
from krita_linerefiner.core.lines import normalise_lines


def circles(size: int = 256, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.zeros((size, size), np.float32)
    for _ in range(10):
        centre = tuple(int(v) for v in rng.integers(40, size - 40, 2))
        cv2.circle(img, centre, int(rng.integers(10, 60)), 1.0, int(rng.integers(1, 3)),
                   cv2.LINE_AA)
    return img


def on_paper(lines: np.ndarray, darkness: float, paper: float = 0.0, noise: float = 0.0,
             seed: int = 1) -> np.ndarray:
    """Lines of `darkness` over paper of ink level `paper` rising left to right (uneven
    lighting), with Gaussian noise."""
    h, w = lines.shape
    ramp = paper * (0.6 + 0.4 * np.arange(w, dtype=np.float32) / w)[None, :]
    ink = 1.0 - (1.0 - lines * darkness) * (1.0 - ramp)
    ink = ink + np.random.default_rng(seed).normal(0.0, noise, ink.shape).astype(np.float32)
    return np.clip(ink, 0.0, 1.0).astype(np.float32)


def line_and_paper(truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    line = truth >= 0.5
    paper = cv2.dilate(truth, np.ones((5, 5), np.uint8)) == 0
    return line, paper


@pytest.mark.parametrize(
    ("darkness", "paper", "noise"),
    [(0.2, 0.0, 0.0), (0.4, 0.25, 0.0), (0.2, 0.15, 0.015), (0.6, 0.1, 0.01)],
    ids=["pencil-20%", "grey-paper", "noisy-pencil", "uneven-60%"],
)
def test_faint_lines_become_lines_and_paper_stays_paper(
    darkness: float, paper: float, noise: float
) -> None:
    truth = circles()
    ink = on_paper(truth, darkness, paper, noise)
    line, blank = line_and_paper(truth)
    norm, levels = normalise_lines(ink)
    assert np.mean(norm[line] >= 0.5) > 0.97
    assert np.mean(norm[blank] >= 0.5) < 1e-3
    assert levels.darkness == pytest.approx(darkness, abs=0.12)


def test_black_lines_on_white_are_left_alone() -> None:
    ink = circles()
    norm, levels = normalise_lines(ink)
    assert levels.gain == 1.0
    np.testing.assert_allclose(norm, ink, atol=1e-6)


def test_solid_fills_stay_ink() -> None:
    ink = circles()
    ink[100:180, 100:180] = 1.0  # a filled shadow, far wider than the paper estimate's kernel
    norm, _ = normalise_lines(ink)
    assert np.all(norm[110:170, 110:170] >= 0.5)


def test_blank_paper_has_no_lines() -> None:
    ink = np.full((64, 64), 0.1, np.float32)
    norm, levels = normalise_lines(ink)
    assert levels.darkness == 0.0
    assert not norm.any()


def test_darkness_override() -> None:
    truth = circles()
    ink = on_paper(truth, 0.3)
    norm, levels = normalise_lines(ink, darkness=0.9)
    assert levels.darkness == 0.9
    # Lines fainter than the override stay below full ink.
    line, _ = line_and_paper(truth)
    assert np.mean(norm[line] >= 0.5) < 0.1
    with pytest.raises(LineRefinerError, match="darkness"):
        normalise_lines(ink, darkness=1.5)


def test_a_lighter_coloured_line_among_black_ones_becomes_a_line() -> None:
    truth = circles()
    ink = truth.copy()
    light = np.zeros_like(truth)
    cv2.line(light, (20, 240), (240, 200), 1.0, 2, cv2.LINE_AA)
    ink = np.maximum(ink, light * 0.42)  # a light blue line reads as ink 0.42
    norm, _ = normalise_lines(ink)
    # Within 1-2 px of a black line the black line sets the level (a junction).
    only_light = (light >= 0.9) & (cv2.dilate(truth, np.ones((7, 7), np.uint8)) == 0)
    assert np.mean(norm[only_light] >= 0.5) > 0.95
    np.testing.assert_allclose(norm[truth >= 0.9], 1.0, atol=1e-6)


def test_a_light_line_reaches_to_one_px_of_the_black_line_it_meets() -> None:
    # A light line (ink 0.45) runs into a black vertical line 2 px wide at x = 100-101, which
    # has a faint halo of JPEG-like ringing (0.15) 2 px wide either side; black circles set the
    # drawing's line darkness.
    ink = np.zeros((256, 256), np.float32)
    for centre in ((180, 60), (180, 180)):
        cv2.circle(ink, centre, 40, 1.0, 2, cv2.LINE_AA)
    ink[:, 98:100] = 0.15
    ink[:, 102:104] = 0.15
    ink[:, 100:102] = 1.0
    ink[60, 20:100] = 0.45
    norm, _ = normalise_lines(ink)
    line = norm >= 0.5
    # Up to 1 px from the black line: the pixel 2 px from it was scaled by the black line's
    # darkness, a 2 px break in a line that is whole.
    assert line[60, 20:99].all()
    assert not line[61, 20:99].any() and not line[59, 20:99].any()
    assert not line[30:50, 98:100].any() and not line[30:50, 102:104].any()  # ringing is paper


@pytest.mark.parametrize("darkness", [0.55, 0.65, 0.74])
def test_even_mid_dark_lines_keep_the_width_of_black_ones(darkness: float) -> None:
    # Coloured ink: lines of one darkness, lighter than black. Scaled by their darkness they
    # read as wide as the same lines in black; the pencil margin (for textured strokes) would
    # make them a fraction of a pixel wider, and bridge more.
    truth = circles()
    black = normalise_lines(truth)[0] >= 0.5
    norm, levels = normalise_lines(on_paper(truth, darkness))
    assert levels.evenness >= 0.97
    assert abs(int((norm >= 0.5).sum()) - int(black.sum())) <= 0.01 * black.sum()


def test_textured_mid_dark_lines_keep_the_pencil_margin() -> None:
    # The same circles drawn with pencil grain (each pixel 60-100% of the stroke's darkness):
    # the lighter grains still read as line, as they did before lines were told apart by
    # evenness.
    truth = circles()
    grain = 0.6 + 0.4 * np.random.default_rng(3).random(truth.shape).astype(np.float32)
    norm, levels = normalise_lines(on_paper(truth * grain, 0.65))
    assert levels.evenness < 0.97
    line = truth >= 0.5
    assert (norm[line] >= 0.5).mean() >= 0.95


def pencil_fill(seed: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Circles and a 90 px solid fill (hair, a shadow) with a notch of paper in it, all in
    pencil at 20% darkness with grain (each pixel 70-100% of it); and the fill's mask."""
    truth = circles()
    fill = np.zeros(truth.shape, bool)
    fill[120:210, 30:120] = True
    fill[150:160, 60:90] = False  # a highlight inside the fill
    truth[fill] = 1.0
    truth[150:160, 60:90] = 0.0
    grain = 0.7 + 0.3 * np.random.default_rng(seed).random(truth.shape).astype(np.float32)
    return on_paper(truth * grain, 0.2), fill


def test_a_faint_solid_fill_is_ink_not_a_field_of_specks() -> None:
    # Taken for paper (the paper estimate's opening keeps a fill wider than its kernel), the
    # fill's grain read as specks, which gap closing bridged across the paper beside it.
    ink, fill = pencil_fill()
    norm, levels = normalise_lines(ink)
    inside = cv2.erode(fill.view(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert levels.darkness == pytest.approx(0.2, abs=0.05)
    assert (norm[inside] >= 0.5).mean() > 0.99
    # The highlight and the paper around the fill stay paper.
    assert (norm[152:158, 64:86] < 0.5).all()
    blank = line_and_paper(np.where(fill, 1.0, circles()))[1]
    assert (norm[blank] >= 0.5).mean() < 1e-3


def test_a_smooth_shadow_of_the_lines_darkness_stays_paper() -> None:
    # An uneven scan's shadow as dark as the fill above but rising over tens of px: paper.
    truth = circles()
    yy, xx = np.mgrid[0:256, 0:256].astype(np.float32)
    shadow = 0.15 * np.exp(-((yy - 128) ** 2 + (xx - 128) ** 2) / (2 * 40.0 ** 2))
    ink = 1.0 - (1.0 - on_paper(truth, 0.2)) * (1.0 - shadow)
    norm, _ = normalise_lines(ink.astype(np.float32))
    _, blank = line_and_paper(truth)
    assert (norm[blank] >= 0.5).mean() < 1e-3


def test_a_sharp_shadow_over_the_lines_stays_paper() -> None:
    # A hard-edged shadow (a phone's, over a photographed sketch) as dark as the fill above:
    # the lines drawn through it tell it from a fill, and the paper under it stays paper (its
    # edge, a step in the picture, may read as a line).
    truth = circles()
    shadow = np.zeros(truth.shape, np.float32)
    shadow[60:200, 80:220] = 0.15
    ink = 1.0 - (1.0 - on_paper(truth, 0.2)) * (1.0 - shadow)
    norm, _ = normalise_lines(ink.astype(np.float32))
    line, blank = line_and_paper(truth)
    under = np.zeros(truth.shape, bool)
    under[72:188, 92:208] = True
    assert (norm[blank & under] >= 0.5).mean() < 1e-3
    assert (norm[line & under] >= 0.5).mean() > 0.97


def pencil_scan(truth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`truth` in pencil (35% dark, each px 60-100% of it) on grey paper with tooth (smoothed
    noise, 3% sigma), as a scan or a photo of a pencil drawing has it."""
    grain = 1.0 - 0.4 * rng.random(truth.shape).astype(np.float32)
    tooth = cv2.GaussianBlur(rng.normal(0.0, 1.0, truth.shape).astype(np.float32), (0, 0), 1.2)
    tooth *= 0.03 / float(tooth.std())
    ink = 1.0 - (1.0 - np.clip(0.15 + tooth, 0.0, 1.0)) * (1.0 - 0.35 * truth * grain)
    return ink.astype(np.float32)


def scanned(width: int, seed: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Circles `width` px wide, and the same as a pencil scan (`pencil_scan`)."""
    rng = np.random.default_rng(seed)
    truth = np.zeros((256, 256), np.float32)
    for _ in range(8):
        centre = tuple(int(v) for v in rng.integers(40, 216, 2))
        cv2.circle(truth, centre, int(rng.integers(15, 60)), 1.0, width, cv2.LINE_AA)
    return truth, pencil_scan(truth, rng)


@pytest.mark.parametrize("width", [1, 5])
def test_a_grainy_scan_reads_bold_strokes_whole_and_keeps_thin_lines(width: int) -> None:
    # Read as it is, the grain left 4.6% of a 5 px stroke's core as holes (frayed edges and
    # pinholes the stroke ends and bridges are found in); read smoothed alone, 1-px lines
    # fell apart (smoothing lowers them more than the paper's noise).
    truth, ink = scanned(width)
    norm, levels = normalise_lines(ink)
    assert levels.noise > 0.06 * levels.darkness  # noisy enough to be read both ways
    core = truth >= 0.99
    _, blank = line_and_paper(truth)
    assert (norm[core] >= 0.5).mean() > 0.985
    assert (norm[blank] >= 0.5).mean() < 1e-3
    ink_pieces = cv2.connectedComponents((norm >= 0.5).view(np.uint8), connectivity=8)[0] - 1
    assert ink_pieces <= 8  # no circle broken (some cross)


def test_a_one_px_break_in_a_grainy_stroke_stays_a_break() -> None:
    # The smoothed reading must not close a break the picture has: the closer would never see
    # it, and a fill on the drawing itself leaks through it (a 1 px smoothing reads it 0.42).
    rng = np.random.default_rng(2)
    truth = np.zeros((128, 256), np.float32)
    truth[63:66, 10:121] = 1.0
    truth[63:66, 122:246] = 1.0  # broken at column 121
    norm, levels = normalise_lines(pencil_scan(truth, rng))
    assert levels.noise > 0.06 * levels.darkness
    assert (norm[63:66, 20:110] >= 0.5).mean() > 0.95
    assert norm[62:67, 121].max() < 0.25


def test_the_rim_of_a_fill_darker_than_paper_can_be_is_left_to_that_fill() -> None:
    # A coloured fill at 0.6 beside lines at 0.75: its soft rim on the downscaled map lies
    # between half the lines' darkness and MAX_PAPER, but the fill is kept as ink as before
    # (the paper level of the whole drawing where the blurred estimate passes MAX_PAPER), not
    # read a second way.
    from krita_linerefiner.core.lines import _downscaled, _opened, faint_fills

    ink = circles() * 0.75
    ink[100:180, 100:180] = 0.6
    small = _downscaled(cv2.GaussianBlur(ink, (0, 0), 4.0))  # a soft edge
    opened = _opened(small)
    assert ((opened >= 0.375) & (opened <= 0.4)).any()  # a rim in the faint fills' range
    assert not faint_fills(small, opened, 0.75).any()
