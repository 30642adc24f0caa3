from __future__ import annotations

import math

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from benchmarks.gaps import (
    best_baseline,
    format_kind_table,
    nothing,
    run,
    synthetic_set,
    verdict,
)
from benchmarks.metrics import (
    GapScore,
    closed_binary,
    far_additions,
    gap_closure,
    gap_leaks,
    gap_outcomes,
    joining_pixels,
    line_map,
    new_pixels,
    region_recovery,
    stray_mask,
    stray_pixels,
)
from benchmarks.reference_models import count_macs, gmac_per_megapixel

SIZE = 64


def square_outline() -> np.ndarray:
    ink = np.zeros((SIZE, SIZE), np.float32)
    ink[12:52, 12:14] = ink[12:52, 50:52] = 1.0
    ink[12:14, 12:52] = ink[50:52, 12:52] = 1.0
    return ink


def square_with_cut(columns: slice = slice(30, 35)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(input ink, target, gap labels) for a 2 px square outline with its top edge cut."""
    target = square_outline()
    labels = np.zeros((SIZE, SIZE), np.uint8)
    labels[12:14, columns] = 1
    ink = np.where(labels > 0, 0.0, target).astype(np.float32)
    return ink, target, labels


LENGTHS = np.array([5.0, 0.0], np.float32)


def test_cut_square_is_open_until_the_missing_pixels_are_drawn_back() -> None:
    ink, target, labels = square_with_cut()
    assert gap_closure(ink >= 0.5, target, labels, LENGTHS) == [(5.0, False)]
    added = np.where(labels > 0, 1.0, 0.0).astype(np.float32)
    assert gap_closure(closed_binary(ink, added), target, labels, LENGTHS) == [(5.0, True)]


def test_a_bridge_one_pixel_short_does_not_close() -> None:
    ink, target, labels = square_with_cut()
    added = np.zeros_like(ink)
    added[12, 30:34] = 1.0  # column 34 stays open
    assert gap_closure(closed_binary(ink, added), target, labels, LENGTHS) == [(5.0, False)]


def test_a_thin_diagonal_bridge_closes_under_eight_connectivity() -> None:
    ink, target, labels = square_with_cut()
    added = np.zeros_like(ink)
    for i, x in enumerate(range(30, 35)):
        added[12 + i % 2, x] = 1.0  # zigzag, only diagonally connected
    assert gap_closure(closed_binary(ink, added), target, labels, LENGTHS) == [(5.0, True)]


def test_a_detour_outside_the_window_does_not_count() -> None:
    # Ink joining the two sides far above the cut would still let a fill leak through the cut.
    ink, target, labels = square_with_cut()
    added = np.zeros_like(ink)
    added[2, 28:37] = 1.0
    added[2:12, 28] = added[2:12, 36] = 1.0
    assert gap_closure(closed_binary(ink, added), target, labels, LENGTHS) == [(5.0, False)]


def test_a_junction_needs_all_three_pieces_joined() -> None:
    target = np.zeros((SIZE, SIZE), np.float32)
    target[30:32, 5:60] = 1.0  # horizontal bar
    target[5:30, 30:32] = 1.0  # stem meeting it from above: a T
    labels = np.zeros((SIZE, SIZE), np.uint8)
    labels[26:32, 27:35] = 1  # cut out the junction
    labels &= (target >= 0.5).astype(np.uint8)
    ink = np.where(labels > 0, 0.0, target).astype(np.float32)
    lengths = np.array([6.0], np.float32)
    bar_only = np.zeros_like(ink)
    bar_only[30:32, 27:35] = 1.0
    assert gap_closure(closed_binary(ink, bar_only), target, labels, lengths) == [(6.0, False)]
    full = np.where(labels > 0, 1.0, 0.0).astype(np.float32)
    assert gap_closure(closed_binary(ink, full), target, labels, lengths) == [(6.0, True)]


def test_a_band_across_two_parallel_strokes_needs_each_joined_not_both_together() -> None:
    target = np.zeros((SIZE, SIZE), np.float32)
    target[20:22, 5:60] = target[25:27, 5:60] = 1.0
    target[23, 5:60] = 0.3  # faint antialiasing between the strokes, removed with the cut
    labels = np.zeros((SIZE, SIZE), np.uint8)
    labels[20:27, 30:36] = 1
    labels &= (target > 0).astype(np.uint8)
    ink = np.where(labels > 0, 0.0, target).astype(np.float32)
    lengths = np.array([6.0], np.float32)
    assert gap_closure(ink >= 0.5, target, labels, lengths) == [(6.0, False)]
    upper_only = np.zeros_like(ink)
    upper_only[20:22, 30:36] = 1.0
    assert gap_closure(closed_binary(ink, upper_only), target, labels, lengths) == [(6.0, False)]
    both = np.where(target >= 0.5, 1.0, 0.0).astype(np.float32) * (labels > 0)
    assert gap_closure(closed_binary(ink, both), target, labels, lengths) == [(6.0, True)]


def test_a_stroke_passing_next_to_the_cut_need_not_join_it() -> None:
    ink, target, labels = square_with_cut()
    target[15, 20:45] = 0.3  # faint antialiasing under the top edge, removed with the cut
    target[16:18, 20:45] = 1.0  # a separate stroke just below it
    labels[14:16, 30:35] = 1
    ink = np.where(labels > 0, 0.0, target).astype(np.float32)
    added = np.where((labels > 0) & (target >= 0.5), 1.0, 0.0).astype(np.float32)
    assert gap_closure(closed_binary(ink, added), target, labels, LENGTHS) == [(5.0, True)]


def test_cuts_at_the_crop_border_and_line_tips_are_not_measured() -> None:
    target = np.zeros((SIZE, SIZE), np.float32)
    target[20:22, 0:40] = 1.0
    labels = np.zeros((SIZE, SIZE), np.uint8)
    labels[20:22, 0:4] = 1  # touches the left border
    labels[20:22, 36:40] = 2  # cuts off the free end: only one piece touches it
    ink = np.where(labels > 0, 0.0, target).astype(np.float32)
    assert gap_closure(ink >= 0.5, target, labels, np.array([4.0, 4.0], np.float32)) == []


def test_false_additions_count_only_pixels_far_from_the_true_lines() -> None:
    ink, target, labels = square_with_cut()
    added = np.where(labels > 0, 1.0, 0.0).astype(np.float32)  # 10 px, all on the line
    added[15, 20] = 1.0  # 2 px inside the left edge's inner side (x = 13): near
    added[30:33, 30:33] = 1.0  # 9 px in the middle of the square: far
    new = new_pixels(ink, added)
    assert np.count_nonzero(new) == 20
    assert far_additions(new, target) == 9

    score = GapScore()
    score.add_gapped(ink, added, target, labels, LENGTHS)
    assert score.false_addition_rate == pytest.approx(9 / 20)
    assert score.summary()["false_px_per_mp"] == pytest.approx(9 / ink.size * 1e6)
    # The same far px among fewer near ones: a larger share, the same px per MP.
    thin = GapScore()
    thin.add_gapped(ink, (added * (labels == 0)).astype(np.float32), target, labels, LENGTHS)
    assert thin.false_addition_rate > score.false_addition_rate
    assert thin.false_per_mp == pytest.approx(score.false_per_mp)
    # A drawing enlarged (benchmarks.real --scale) is judged with the distance enlarged too:
    # the 3x3 block lies 17-19 px off the square's lines, within 20 px.
    wide = GapScore()
    wide.add_gapped(ink, added, target, labels, LENGTHS, false_distance=20.0)
    assert wide.far_pixels == 0 and wide.new_pixels == score.new_pixels


def test_painting_over_existing_ink_is_not_an_addition() -> None:
    target = square_outline()
    score = GapScore()
    score.add_gap_free(target, target.copy())
    assert score.gap_free_new == 0
    added = np.zeros_like(target)
    added[30, 30] = added[31, 31] = 1.0
    score.add_gap_free(target, added)
    assert score.gap_free_per_mp == pytest.approx(2 / (2 * SIZE * SIZE) * 1e6)


def test_region_recovery_fails_while_the_fill_leaks() -> None:
    ink, target, labels = square_with_cut()
    # Inside and outside of the square; a 4 px pocket is too small to count.
    target[40:42, 40:44] = 1.0
    target[44:46, 40:44] = 1.0
    target[42:44, 40] = target[42:44, 43] = 1.0
    ink = np.where(labels > 0, 0.0, target).astype(np.float32)
    assert region_recovery(target >= 0.5, target) == (2, 2)
    assert region_recovery(ink >= 0.5, target) == (0, 2)
    added = np.where(labels > 0, 1.0, 0.0).astype(np.float32)
    assert region_recovery(closed_binary(ink, added), target) == (2, 2)


def test_region_recovery_tolerates_small_changes_but_not_a_split() -> None:
    target = square_outline()
    thicker = target.copy()
    thicker[14, 14:50] = 1.0  # 36 px of 1296 inside: IoU still > 0.97
    assert region_recovery(thicker >= 0.5, target) == (2, 2)
    split = target.copy()
    split[14:50, 31] = 1.0  # a wall through the middle: both halves have IoU ~ 0.49
    assert region_recovery(split >= 0.5, target) == (1, 2)


def test_a_gap_free_drawing_counts_the_intact_regions_its_additions_keep() -> None:
    ink, target, labels = square_with_cut()
    ink = np.where(labels > 0, 0.0, target).astype(np.float32)  # degraded: the break leaks
    lines = ink >= 0.5
    score = GapScore()
    score.add_gap_free(ink, np.zeros_like(ink), lines=lines, intact=target >= 0.5)
    score.add_gap_free(ink, np.where(labels > 0, 1.0, 0.0).astype(np.float32), lines=lines,
                       intact=target >= 0.5)
    assert (score.gap_free_regions_recovered, score.gap_free_regions_total) == (2, 4)
    assert score.gap_free_region_rate == 0.5
    assert math.isnan(GapScore().gap_free_region_rate)
    unmeasured = GapScore()
    unmeasured.add_gap_free(ink, np.zeros_like(ink), lines=lines)  # no intact drawing given
    assert unmeasured.gap_free_regions_total == 0


def test_closure_rates_pool_by_length_bin() -> None:
    score = GapScore(closures=[(3.0, True), (4.0, False), (6.0, True), (10.0, True), (16.0, False)])
    assert score.closure_rate(1, 4) == 0.5
    assert score.closure_rate(5, 8) == 1.0
    assert score.closure_rate(1, 8) == pytest.approx(2 / 3)
    assert score.closure_rate(9, 16) == 0.5
    assert math.isnan(score.closure_rate(13, 15))
    assert score.overall_closure == 0.6


def test_a_break_leaks_only_where_it_joins_two_paper_regions() -> None:
    # The square's top edge parts its inside from the outside: a cut there lets a fill through.
    _, target, labels = square_with_cut()
    assert gap_leaks(target, labels) == {1: True}
    # A line standing on its own has the same paper on both sides: its break leaks nothing.
    free = np.zeros((SIZE, SIZE), np.float32)
    free[30:32, 10:54] = 1.0
    cut = np.zeros((SIZE, SIZE), np.uint8)
    cut[30:32, 28:33] = 1
    assert gap_leaks(free, cut) == {1: False}
    # Nor does one into a pocket too small to fill (under MIN_REGION px: 4 x 4 here).
    pocket = free.copy()
    pocket[24:30, 40:42] = pocket[24:26, 40:48] = pocket[24:30, 46:48] = 1.0
    cut[:] = 0
    cut[30:32, 43:45] = 1
    assert gap_leaks(pocket, cut) == {1: False}
    # The same pocket made big enough leaks.
    big = free.copy()
    big[18:30, 36:38] = big[18:20, 36:52] = big[18:30, 50:52] = 1.0
    assert gap_leaks(big, cut) == {1: True}


def test_scores_keep_which_breaks_leak_beside_their_closure() -> None:
    # Two cuts: one in the square's edge (leaks), one in a free line inside it (does not).
    ink, target, labels = square_with_cut()
    target[30:32, 20:44] = 1.0
    labels[30:32, 30:35] = 2
    ink = np.where(labels > 0, 0.0, target).astype(np.float32)
    lengths = np.array([5.0, 5.0], np.float32)
    added = np.where(labels == 1, 1.0, 0.0).astype(np.float32)  # only the leaking one drawn
    outcomes = gap_outcomes(closed_binary(ink, added), target, labels, lengths)
    assert sorted(outcomes) == [(5.0, False, False), (5.0, True, True)]
    score = GapScore()
    score.add_gapped(ink, added, target, labels, lengths)
    assert score.closure_rate(1, 8) == 0.5
    assert score.closure_rate(1, 8, leaking_only=True) == 1.0
    assert score.gap_count(1, 8, leaking_only=True) == 1
    # Scores from before the leaks were measured cannot answer for them.
    old = GapScore(closures=[(3.0, True)])
    with pytest.raises(ValueError, match="leak"):
        old.closure_rate(1, 8, leaking_only=True)


def test_doing_nothing_closes_nothing_on_synthetic_drawings() -> None:
    data = synthetic_set(2, size=128, seed=3)
    assert data["ink"].shape == data["gap_labels"].shape == (2, 128, 128)
    assert (data["ink"][data["gap_labels"] > 0] == 0).all()
    result = run({"input": nothing}, data, log=lambda _: None)["input"]
    assert result["closure_all"] == 0.0
    assert result["false_addition_rate"] == 0.0
    assert result["added_px_per_mp_gap_free"] == 0.0


def test_drawing_back_exactly_the_cut_ink_scores_perfectly() -> None:
    data = synthetic_set(6, size=160, seed=5)

    def oracle(ink: np.ndarray) -> np.ndarray:
        # Looks up which image it was given; on a gap-free target it adds nothing.
        for i in range(len(data["ink"])):
            if np.array_equal(ink, data["ink"][i].astype(np.float32) / 255.0):
                cut = data["gap_labels"][i] > 0
                return np.where(cut, data["target"][i] / 255.0, 0.0).astype(np.float32)
        return np.zeros_like(ink)

    result = run({"oracle": oracle}, data, log=lambda _: None)["oracle"]
    assert int(result["gaps_all"]) >= 10
    assert result["closure_all"] == 1.0
    assert result["false_addition_rate"] == 0.0
    assert result["regions_recovered_rate"] == 1.0
    assert result["added_px_per_mp_gap_free"] == 0.0


def test_joining_pixels_count_bridges_across_breaks_but_not_pockets() -> None:
    ink, _, _ = square_with_cut()  # the top edge has a 5 px break
    added = np.zeros_like(ink)
    added[12:14, 30:35] = 1.0  # bridges the break: 10 px
    added[14:16, 14:16] = 1.0  # fills the inside corner: 4 px touching one piece only
    added[30:32, 30:32] = 1.0  # floats in the paper: 4 px touching nothing
    new = new_pixels(ink, added)
    assert joining_pixels(ink, new) == 10
    assert joining_pixels(square_outline(), new_pixels(square_outline(), added)) == 0


def test_scores_split_by_source_kind() -> None:
    data = synthetic_set(4, size=128, seed=2)
    data["kind"] = np.array(["a", "b", "a", "a"])
    by_kind: dict[str, dict[str, GapScore]] = {"input": {}}
    total = run({"input": nothing}, data, log=lambda _: None, by_kind=by_kind)["input"]
    scores = by_kind["input"]
    assert sorted(scores) == ["a", "b"]
    assert scores["a"].images == 3 and scores["b"].images == 1
    assert total["images"] == 4
    assert total["gaps_all"] == sum(int(s.summary()["gaps_all"]) for s in scores.values())
    assert total["regions_total"] == scores["a"].regions_total + scores["b"].regions_total
    table = format_kind_table(scores).splitlines()
    assert len(table) == 4 and table[2].startswith("| a ")


def two_lines_and_a_speck() -> np.ndarray:
    """Lines (bool): a bar broken at x 30-35, and a 2x2 speck 4 px below the left piece."""
    lines = np.zeros((SIZE, SIZE), bool)
    lines[20:22, 5:30] = lines[20:22, 35:60] = True
    lines[26:28, 20:22] = True
    return lines


def test_stray_counts_a_stroke_to_a_speck_but_not_one_joining_two_lines() -> None:
    lines = two_lines_and_a_speck()
    bridge = np.zeros_like(lines)
    bridge[20:22, 30:35] = True  # joins the two pieces of the bar
    assert stray_pixels(lines, bridge) == 0
    to_speck = np.zeros_like(lines)
    to_speck[22:26, 20:22] = True  # from the bar down to the speck
    assert stray_pixels(lines, to_speck) == 8
    both = bridge | to_speck
    assert stray_pixels(lines, both) == 8
    # The mask (benchmarks.gap_failures draws it) is the stroke to the speck, not the bridge.
    np.testing.assert_array_equal(stray_mask(lines, both), to_speck)
    assert not stray_mask(lines, np.zeros_like(lines)).any()


def test_a_stroke_across_a_speck_between_two_lines_is_not_stray() -> None:
    lines = two_lines_and_a_speck()
    lines[20:22, 32] = True  # a speck inside the break: the darker bit of a faint stretch
    across = np.zeros_like(lines)
    across[20:22, 30:32] = across[20:22, 33:35] = True  # line, speck, line
    assert stray_pixels(lines, across) == 0
    # Up to the speck only: from a line to a speck.
    assert stray_pixels(lines, across & (np.arange(SIZE) < 32)[None, :]) == 4


def test_stray_counts_strokes_into_open_paper_and_pockets() -> None:
    lines = two_lines_and_a_speck()
    spur = np.zeros_like(lines)
    spur[10:20, 50] = True  # leaves the bar into paper
    assert stray_pixels(lines, spur) == 10
    floating = np.zeros_like(lines)
    floating[45:48, 45:48] = True
    assert stray_pixels(lines, floating) == 9
    # A big speck (>= 12 px) is a piece of line: a stroke to it joins two lines.
    lines[26:30, 19:23] = True
    to_blob = np.zeros_like(lines)
    to_blob[22:26, 20:22] = True
    assert stray_pixels(lines, to_blob) == 0


def test_gap_score_reports_stray_pixels_per_megapixel() -> None:
    ink, target, labels = square_with_cut()
    added = np.where(labels > 0, 1.0, 0.0).astype(np.float32)  # the bridge: not stray
    added[30:33, 30:33] = 1.0  # 9 px floating inside: stray
    score = GapScore()
    score.add_gapped(ink, added, target, labels, LENGTHS)
    assert score.stray_pixels == 9
    assert score.summary()["stray_px_per_mp"] == pytest.approx(9 / SIZE**2 * 1e6)


def test_line_map_reads_faint_and_grey_paper_lines_as_lines() -> None:
    ink, target, labels = square_with_cut()
    # Black on white: the same as ink >= 0.5.
    assert np.array_equal(line_map(ink), ink >= 0.5)
    # A 20% pencil line: every line pixel, nothing else.
    assert np.array_equal(line_map(0.2 * ink), ink >= 0.5)
    # Grey paper with noise: the noise is paper, the 60% line is a line.
    rng = np.random.default_rng(0)
    paper = 0.2 + rng.normal(0, 0.01, ink.shape).astype(np.float32)
    scanned = np.clip(paper + 0.6 * ink, 0, 1)
    assert np.array_equal(line_map(scanned), ink >= 0.5)
    # The cut stays open, as the benchmark must see it.
    assert gap_closure(line_map(0.2 * ink), target, labels, LENGTHS) == [(5.0, False)]


def test_line_map_reads_bold_strokes_and_solid_fills_whole() -> None:
    # A 36 px stroke and an 80 px disc: a 61 px window inside them is mostly ink, and reading
    # that as paper would leave them hollow (cuts across their edges, closures judged on rims).
    ink = np.zeros((300, 300), np.float32)
    cv2.line(ink, (30, 150), (270, 150), 1.0, 36)
    cv2.circle(ink, (150, 60), 40, 1.0, -1)
    for darkness in (1.0, 0.2):
        assert np.array_equal(line_map(darkness * ink), ink >= 0.5)
    # The gap between two bold strokes stays paper.
    assert not line_map(ink)[110:128, 150].any()


def test_lines_given_to_the_score_make_faint_input_count() -> None:
    ink, target, labels = square_with_cut()
    faint = 0.2 * ink
    added = np.where(labels > 0, 1.0, 0.0).astype(np.float32)
    plain, seen = GapScore(), GapScore()
    plain.add_gapped(faint, added, target, labels, LENGTHS)
    seen.add_gapped(faint, added, target, labels, LENGTHS, lines=line_map(faint))
    # Read at 0.5 the faint square is paper: the bridge joins nothing, and is stray.
    assert plain.closures == [(5.0, False)] and plain.stray_pixels == 10
    assert seen.closures == [(5.0, True)] and seen.stray_pixels == 0 and seen.new_pixels == 10


def test_long_gaps_have_their_own_bins() -> None:
    score = GapScore(closures=[(3.0, True), (12.0, True), (20.0, False), (40.0, True)])
    summary = score.summary()
    assert summary["closure_17_32"] == 0.0 and summary["gaps_17_32"] == 1
    assert summary["closure_33_48"] == 1.0
    assert summary["closure_9_32"] == 0.5
    assert summary["closure_9_16"] == 1.0  # the test split's column keeps its meaning


def _result(closure: float, false_add: float, short: float = 1.0, long_: float = 1.0,
            free: float = 0.0) -> dict[str, float | int]:
    return {"closure_all": closure, "false_addition_rate": false_add, "closure_1_8": short,
            "closure_9_16": long_, "added_px_per_mp_gap_free": free}


def test_verdict_compares_with_the_best_baseline_at_no_more_false_additions() -> None:
    results = {
        "morph closing k3": _result(0.40, 0.00),
        "morph closing k9": _result(0.95, 0.10),  # closes more, but adds falsely more than ours
        "endpoint linking R8": _result(0.70, 0.01),
        "endpoint linking R16": _result(0.90, 0.02),
        "ours": _result(0.85, 0.02, short=0.96, long_=0.74, free=12.0),
    }
    assert best_baseline(results, "morph closing", 0.02) == "morph closing k3"
    assert best_baseline(results, "endpoint linking", 0.02) == "endpoint linking R16"
    checks = {label: ok for label, ok, _ in verdict(results, "ours")}
    assert checks == {
        "closure <= 8 px >= 95%": True,
        "closure 9-16 px >= 75%": False,
        "false additions <= 3%": True,
        "<= 30 added px/MP gap-free": True,
        "better closure than morph closing at <= false additions": True,
        "better closure than endpoint linking at <= false additions": False,
    }


def test_adding_nothing_does_not_beat_the_baselines_by_default() -> None:
    results = {
        "morph closing k3": _result(0.30, 0.01),
        "morph closing k5": _result(0.50, 0.02),
        "endpoint linking R4": _result(0.40, 0.005),
        "input": _result(0.0, 0.0, short=0.0, long_=0.0),
    }
    # Every setting adds falsely more than doing nothing: the most careful one is the rival.
    assert best_baseline(results, "morph closing", 0.0) == "morph closing k3"
    checks = {label: ok for label, ok, _ in verdict(results, "input")}
    assert checks["better closure than morph closing at <= false additions"] is False
    assert checks["better closure than endpoint linking at <= false additions"] is False
    del results["endpoint linking R4"]
    checks = {label: ok for label, ok, _ in verdict(results, "input")}
    assert checks["better closure than endpoint linking at <= false additions"] is None


def _single_node_model(node: onnx.NodeProto, x: tuple[int, ...], w: tuple[int, ...],
                       y_channels: int) -> onnx.ModelProto:
    weight = helper.make_tensor("w", TensorProto.FLOAT, w, np.zeros(int(np.prod(w))).tolist())
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, x[1], "H", "W"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, y_channels, None, None])],
        [weight],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_mac_counter_on_a_known_conv() -> None:
    conv = helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    model = _single_node_model(conv, (1, 3, 10, 10), (8, 3, 3, 3), 8)
    # 8 output channels x 10 x 10 outputs, each 3 channels x 3 x 3 taps.
    assert count_macs(model, (1, 3, 10, 10)) == 8 * 10 * 10 * 3 * 3 * 3
    assert count_macs(model, (1, 3, 20, 10)) == 2 * 21600


def test_mac_counter_on_depthwise_and_transposed_convs() -> None:
    depthwise = helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3],
                                 pads=[1, 1, 1, 1], group=4)
    model = _single_node_model(depthwise, (1, 4, 10, 10), (4, 1, 3, 3), 4)
    assert count_macs(model, (1, 4, 10, 10)) == 4 * 100 * 9
    up = helper.make_node("ConvTranspose", ["x", "w"], ["y"], kernel_shape=[4, 4],
                          strides=[2, 2], pads=[1, 1, 1, 1])
    model = _single_node_model(up, (1, 4, 5, 5), (4, 2, 4, 4), 2)
    # Each of the 4 x 5 x 5 inputs is spread over 2 channels x 4 x 4 taps.
    assert count_macs(model, (1, 4, 5, 5)) == 4 * 25 * 2 * 16
    assert gmac_per_megapixel(model, side=64) == pytest.approx(
        count_macs(model, (1, 4, 64, 64)) / 64**2 * 1e6 / 1e9
    )
