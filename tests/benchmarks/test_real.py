from __future__ import annotations

import cv2
import numpy as np
import pytest

from benchmarks.real import BINS, cut_gaps, enlarge, erased, main, scaled_bins, touching_pieces


def grid_drawing(size: int = 160) -> np.ndarray:
    """Lines 3 px wide: two horizontal and two vertical, crossing at four junctions."""
    lines = np.zeros((size, size), bool)
    for at in (50, 110):
        lines[at - 1 : at + 2, 10:150] = True
        lines[10:150, at - 1 : at + 2] = True
    return lines


def test_cuts_break_one_stroke_and_never_take_out_a_junction() -> None:
    lines = grid_drawing()
    labels, lengths = cut_gaps(lines, 12, np.random.default_rng(3))
    assert len(lengths) >= 4
    for k in range(1, len(lengths) + 1):
        band = labels == k
        assert band.any()  # no later cut took an earlier one's place
        ys, xs = np.nonzero(band)
        window = (slice(ys.min() - 6, ys.max() + 7), slice(xs.min() - 6, xs.max() + 7))
        # Exactly the two sides of one stroke touch each cut.
        assert touching_pieces(lines[window] & ~band[window], band[window]) == 2


def test_touching_pieces_counts_the_strokes_meeting_at_a_cut_junction() -> None:
    lines = np.zeros((100, 100), bool)
    lines[49:52, 10:90] = True
    lines[10:90, 49:52] = True
    band = np.zeros_like(lines)
    band[45:56, 45:56] = lines[45:56, 45:56]  # the whole crossing
    assert touching_pieces(lines & ~band, band) == 4
    band[:] = False
    band[49:52, 20:30] = True  # one arm broken
    assert touching_pieces(lines & ~band, band) == 2


def test_erasing_a_cut_takes_its_soft_edge_but_no_other_line() -> None:
    truth = np.zeros((40, 60), bool)
    truth[19:22, 5:55] = True  # a stroke along row 20
    truth[5:35, 40:43] = True  # and one crossing it at column 41
    labels = np.zeros((40, 60), np.uint8)
    labels[19:22, 20:28] = 1
    mask = erased(labels, truth)
    assert mask[19:22, 20:28].all()
    # The anti-aliased rows above and below the band, and one column either side of it.
    assert mask[18, 20:28].all() and mask[22, 20:28].all()
    assert not mask[19:22, 18].any() and not mask[19:22, 29].any()
    # Nothing of the line outside the cut is painted.
    assert not (mask & truth & (labels == 0)).any()
    far = cv2.dilate(labels, np.ones((5, 5), np.uint8)) == 0
    assert not mask[far].any()


def test_a_whole_method_name_picks_only_that_method() -> None:
    from benchmarks.real import methods

    if "ours + dense" not in methods(None, 24, 1):  # a model missing: nothing to tell apart
        pytest.skip("the shipped verifier or dense model did not load")
    assert set(methods(["ours"], 24, 1)) == {"ours"}
    assert set(methods(["ours + dense"], 24, 1)) == {"ours + dense"}
    # A part of a name still picks every method containing it.
    assert set(methods(["linking"], 24, 1)) == {"endpoint linking R6", "endpoint linking R14"}


def test_closure_at_false_reads_between_the_settings_around_it() -> None:
    from benchmarks.real import closure_at_false

    rows = [(3.0, 90.0), (1.0, 70.0), (2.0, 80.0)]  # (false %, closure %), any order
    assert closure_at_false(rows, 1.5) == pytest.approx(75.0)
    assert closure_at_false(rows, 2.0) == pytest.approx(80.0)
    assert closure_at_false(rows, 2.5) == pytest.approx(85.0)
    # Outside the sweep, or with a setting that closed nothing measured: no number.
    assert np.isnan(closure_at_false(rows, 0.5))
    assert np.isnan(closure_at_false(rows, 3.5))
    assert closure_at_false([(1.0, 70.0), (2.0, float("nan")), (3.0, 90.0)], 2.0) == (
        pytest.approx(80.0))


def test_a_sweep_setting_draws_what_close_gaps_draws_at_that_sensitivity() -> None:
    from benchmarks.gaps import synthetic_set
    from benchmarks.real import sweep_methods

    try:
        swept = sweep_methods([0.2, 0.8], 24, 1)
        from krita_linerefiner.core.models import create_scorer

        scorer = create_scorer("verifier", threads=1)
    except Exception as exc:  # noqa: BLE001 - any load failure means: nothing to compare
        pytest.skip(f"the shipped verifier did not load: {exc}")
    from krita_linerefiner.core.gaps import GapParams, close_gaps

    ink = synthetic_set(6, size=192)["ink"][5]  # breaks the two settings close differently
    drawn = {}
    for sensitivity in (0.2, 0.8):
        want = close_gaps(ink, GapParams(sensitivity=sensitivity), scorer=scorer).gaps
        drawn[sensitivity] = swept[f"ours @{sensitivity:g}"](ink)
        assert np.array_equal(drawn[sensitivity], want)
    assert not np.array_equal(drawn[0.2], drawn[0.8])
    # Other ink (the uncut drawing) gets its own analysis, not the last one's.
    assert not swept["ours @0.8"](np.zeros_like(ink)).any()
    assert np.array_equal(swept["ours @0.2"](ink), drawn[0.2])


def test_scaled_bins_cover_the_scaled_lengths_without_a_hole() -> None:
    assert scaled_bins(1.0) == BINS
    assert scaled_bins(2.0) == ((1, 16), (17, 32), (33, 48))
    for scale in (1.5, 2.5):
        bins = scaled_bins(scale)
        assert bins[0][0] == 1 and bins[-1][1] == round(24 * scale)
        assert all(b[0] == a[1] + 1 for a, b in zip(bins[:-1], bins[1:], strict=True))


def test_cuts_up_to_48_px_are_as_long_as_drawn() -> None:
    lines = np.zeros((120, 400), bool)
    lines[58:63, 10:390] = True  # one long stroke 5 px wide
    labels, lengths = cut_gaps(lines, 6, np.random.default_rng(1), max_length=48)
    assert len(lengths) >= 3 and lengths.max() > 24
    for k, length in enumerate(lengths, start=1):
        xs = np.nonzero((labels == k).any(axis=0))[0]
        assert length - 2 <= len(xs) <= length + 1


def test_a_run_at_scale_2_enlarges_the_drawings_and_cuts_and_bins_with_them(tmp_path, capsys
                                                                           ) -> None:
    drawing = np.full((140, 140, 3), 255, np.uint8)
    cv2.rectangle(drawing, (20, 20), (120, 120), (0, 0, 0), 2)
    cv2.line(drawing, (20, 70), (120, 70), (0, 0, 0), 2)
    folder = tmp_path / "set"
    folder.mkdir()
    cv2.imwrite(str(folder / "box.png"), drawing)
    assert enlarge(drawing, 2.0).shape == (280, 280, 3)
    out = tmp_path / "run.json"
    assert main(["--folder", str(folder), "--gaps", "8", "--scale", "2", "--variants", "black",
                 "--only", "morph closing k5", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "enlarged 2 times" in printed and "1-48 px" in printed and "max gap 48" in printed
    assert "| <=16 | 17-32 | 33-48 |" in printed
    # The uncut drawing keeps its own regions unaided: the closing's are measured against them.
    assert "| uncut regions % |" in printed and "unaided: black 100.0% of 3" in printed
    from benchmarks.real import read_scores

    run, scores = read_scores(out)
    assert run["scale"] == 2.0 and run["max_gap"] == 48
    score = scores["black"]["morph closing k5"]["box"]
    assert score.closures and max(length for length, _ in score.closures) <= 48
    assert score.gap_free_regions_total == 3
    assert main(["--folder", str(folder), "--scale", "3"]) == 2  # past 64 px breaks


def extra_variant_page(variant: str, shape: tuple[int, int], line: tuple[slice, slice]
                       ) -> tuple[np.ndarray, np.ndarray]:
    """A white page with one black line, and no cut; `variant` is measured on request only."""
    from benchmarks.real import EXTRA_VARIANTS, VARIANTS

    assert variant in EXTRA_VARIANTS and variant not in VARIANTS  # never cut for training
    rgb = np.full((*shape, 3), 255, np.uint8)
    rgb[line] = 0
    return rgb, np.zeros(shape, bool)


def test_the_dust_variant_only_darkens_specks_the_same_for_cut_and_uncut() -> None:
    from benchmarks.real import DUST_PER_MP, degrade

    rgb, nothing = extra_variant_page("dust", (500, 400), (slice(100, 103), slice(50, 350)))
    dusty = degrade(rgb, nothing, "dust", np.random.default_rng(3))
    assert (dusty <= rgb).all()  # specks darken, nothing is lightened
    assert (dusty[..., 0] == dusty[..., 2]).all()  # grey, like the lines
    specks = (dusty[..., 0] < 255) & (rgb[..., 0] == 255)
    count, _ = cv2.connectedComponents(specks.astype(np.uint8), connectivity=8)
    expected = DUST_PER_MP * 500 * 400 / 1e6  # 80
    assert 0.7 * expected <= count - 1 <= expected
    assert specks.sum() <= 3 * expected  # 1-3 px across
    again = degrade(rgb, nothing, "dust", np.random.default_rng(3))
    assert (again == dusty).all()
    cut = np.zeros_like(nothing)
    cut[98:105, 200:206] = True
    with_cut = degrade(rgb, cut, "dust", np.random.default_rng(3))
    assert (with_cut[~cut] == dusty[~cut]).all()  # the same dust on the cut drawing
    assert (with_cut[100, 200:206] > 0).all()  # the line is cut there


def test_the_scan_variant_is_a_faint_grainy_line_on_grey_uneven_paper() -> None:
    from benchmarks.real import SCAN_PENCIL, degrade

    rgb, nothing = extra_variant_page("scan", (200, 300), (slice(100, 104), slice(20, 280)))
    scan = degrade(rgb, nothing, "scan", np.random.default_rng(5))
    assert scan.shape == rgb.shape and scan.dtype == np.uint8
    assert (scan[..., 0] == scan[..., 2]).all()  # grey
    ink = 1.0 - scan[..., 0].astype(np.float32) / 255
    left, right = ink[20:80, 10:60], ink[20:80, 240:290]
    assert 0.08 < float(np.median(left)) < float(np.median(right)) < 0.35  # grey, darker right
    assert float(left.std()) > 0.01  # the paper's tooth
    line = float(np.median(ink[101:103, 40:260]))
    paper = float(np.median(ink[60:90, 40:260]))
    assert 0.5 * SCAN_PENCIL < line - paper < SCAN_PENCIL  # pencil dark, with grain
    again = degrade(rgb, nothing, "scan", np.random.default_rng(5))
    assert (again == scan).all()  # the same sheet for the cut and the uncut drawing
