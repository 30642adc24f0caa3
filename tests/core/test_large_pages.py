"""What keeps a large page's memory down changes no pixel: strips, blocks, no copies."""

from __future__ import annotations

import numpy as np
import pytest

from krita_linerefiner.core import gaps as gaps_module
from krita_linerefiner.core import lines as lines_module
from krita_linerefiner.core.flats import FlatsParams
from krita_linerefiner.core.gaps import GapParams, analyse_gaps, close_gaps
from krita_linerefiner.core.ink import as_ink
from krita_linerefiner.core.lines import normalise_lines
from krita_linerefiner.core.pipeline import Sessions, Steps, run_pipeline


@pytest.fixture
def scorer(tmp_path):
    from krita_linerefiner.core.models import create_scorer
    from tests.model_fixtures import add_verifier

    return create_scorer("verifier", models_dir=add_verifier(tmp_path / "models"))


def drawing(height: int = 203, width: int = 301) -> np.ndarray:
    """Black and pencil-grey strokes with breaks on slightly noisy, unevenly lit paper."""
    import cv2

    rng = np.random.default_rng(3)
    ink = np.zeros((height, width), np.float32)
    for i in range(12):
        x, y = (int(v) for v in rng.integers(10, (width - 10, height - 10)))
        axes = (int(rng.integers(10, 50)), int(rng.integers(10, 40)))
        cv2.ellipse(ink, (x, y), axes, float(rng.uniform(0, 180)), 20, 330,
                    1.0 if i % 3 else 0.3, int(rng.integers(1, 4)), cv2.LINE_AA)
    paper = 0.05 * np.linspace(0, 1, width, dtype=np.float32)[None, :]
    noise = rng.normal(0, 0.01, ink.shape).astype(np.float32)
    return np.clip(np.maximum(ink, paper) + noise, 0, 1).astype(np.float32)


@pytest.mark.parametrize("darkness", [None, 0.3])
def test_normalising_in_strips_gives_the_same_ink(monkeypatch, darkness) -> None:
    ink = drawing()
    monkeypatch.setattr(lines_module, "STRIP_ROWS", 100_000)
    whole, whole_levels = normalise_lines(ink, darkness)
    # Strips of 3 rows: the 5x5 window of the local darkness reaches over two strip borders.
    monkeypatch.setattr(lines_module, "STRIP_ROWS", 3)
    strips, strip_levels = normalise_lines(ink, darkness)
    assert strip_levels == whole_levels
    np.testing.assert_array_equal(strips, whole)
    assert (whole >= 0.5).any() and (whole < 0.5).any()


def test_normalising_leaves_the_input_alone() -> None:
    ink = drawing()
    before = ink.copy()
    normalise_lines(ink)
    np.testing.assert_array_equal(ink, before)
    wild = ink * 2 - 0.5  # out of 0..1: clipped into a copy, as before
    wild_before = wild.copy()
    np.testing.assert_array_equal(normalise_lines(wild)[0],
                                  normalise_lines(np.clip(wild, 0, 1))[0])
    np.testing.assert_array_equal(wild, wild_before)


def test_as_ink_copies_only_what_it_must_change() -> None:
    ink = drawing()
    assert as_ink(ink) is ink
    wild = ink * 2 - 0.5
    clipped = as_ink(wild)
    assert clipped is not wild and clipped.min() == 0.0 and clipped.max() == 1.0
    assert wild.min() < 0.0  # the caller's array is not clipped in place
    assert as_ink(ink.astype(np.float64)).dtype == np.float32


def test_candidates_are_scored_in_blocks_with_the_same_probabilities(monkeypatch, scorer
                                                                      ) -> None:
    norm = normalise_lines(drawing())[0]
    params = GapParams(max_gap=32)
    whole = analyse_gaps(norm, params, scorer)
    n = len(whole.candidates)
    assert n > 7
    sizes: list[int] = []

    def counting(patches: np.ndarray, features: np.ndarray) -> np.ndarray:
        sizes.append(len(patches))
        return scorer(patches, features)

    monkeypatch.setattr(gaps_module, "SCORE_BLOCK", 3)
    blocks = analyse_gaps(norm, params, counting)
    # Each block is scored, then the mirrors of those not sure to be rejected
    # (gaps.score_both_sides), at each view (gaps.VIEW_ZOOMS): at most two calls per view and
    # block of at most 3.
    views = len(gaps_module.VIEW_ZOOMS)
    assert max(sizes) == 3 and -(-n // 3) <= len(sizes) <= 2 * views * -(-n // 3)
    np.testing.assert_array_equal(blocks.probability, whole.probability)


def test_dropping_the_analysis_keeps_the_closures_and_the_normalised_ink(scorer) -> None:
    ink = drawing()
    kept = close_gaps(ink, GapParams(), scorer=scorer)
    dropped = close_gaps(ink, GapParams(), scorer=scorer, keep_analysis=False)
    assert kept.analysis is not None and dropped.analysis is None
    assert kept.count == dropped.count > 0
    np.testing.assert_array_equal(kept.gaps, dropped.gaps)
    assert dropped.normalised is not None
    np.testing.assert_array_equal(dropped.normalised, kept.analysis.lines.ink)
    np.testing.assert_array_equal(dropped.closed, np.maximum(ink, dropped.gaps))
    assert dropped.source is ink  # closed is made from the caller's ink, not a copy of it


def test_flats_are_the_same_whether_the_analysis_is_kept(scorer) -> None:
    ink = drawing()
    steps = Steps(gaps=GapParams(), flats=FlatsParams(min_region=4))
    kept = run_pipeline(ink, steps, sessions=Sessions(scorer=scorer))
    dropped = run_pipeline(ink, steps, sessions=Sessions(scorer=scorer), keep_analysis=False)
    assert kept.gaps is not None and kept.gaps.analysis is not None
    assert dropped.gaps is not None and dropped.gaps.analysis is None
    assert kept.flats is not None and dropped.flats is not None
    assert kept.flats.regions == dropped.flats.regions > 1
    np.testing.assert_array_equal(kept.flats.rgba, dropped.flats.rgba)


def test_refine_gives_back_the_model_arena_after_its_tiles(tiny_model_dir) -> None:
    from krita_linerefiner.core import models
    from krita_linerefiner.core.refine import RefineParams, refine

    session = models.create_session("refine", models_dir=tiny_model_dir)
    raw = session.session
    calls: list[tuple[tuple[int, ...], object]] = []

    class Spy:
        def __getattr__(self, name: str) -> object:
            return getattr(raw, name)

        def run(self, outputs, feed, options=None):
            calls.append((next(iter(feed.values())).shape, options))
            return raw.run(outputs, feed, options)

    ink = drawing()
    session.session = Spy()  # type: ignore[assignment]
    try:
        refined = refine(ink, RefineParams(tile=128), session=session)
    finally:
        session.session = raw
    tiles = [shape for shape, options in calls if options is None]
    assert len(tiles) >= 4  # a tiled run, then one release at its end
    shape, options = calls[-1]
    assert options is not None and shape == (1, 1, session.info.size_multiple,
                                             session.info.size_multiple)
    assert getattr(options, "get_run_config_entry")(  # noqa: B009 (RunOptions, typed as object)
        "memory.enable_memory_arena_shrinkage") == "cpu:0"
    # The identity model: the tiles, not the release run, make the result.
    np.testing.assert_allclose(refined, ink, atol=1e-6)


def test_strokes_labelled_in_groups_of_boxes_are_judged_as_over_the_whole_image() -> None:
    from krita_linerefiner.core.closures import render, select
    from krita_linerefiner.core.gaps import MIN_JOINED_PIECE, joining_strokes

    def loose(patches: np.ndarray, features: np.ndarray) -> np.ndarray:
        # Trusts every bridge up to 60 px a little: many closures, some touching, some slivers.
        return np.clip(1.2 - features[:, 0] * 16 / 60, 0, 1).astype(np.float32)

    analysis = analyse_gaps(normalise_lines(drawing())[0], GapParams(max_gap=64), loose)
    coverage, closures = render(analysis, select(analysis, 1.0, 64))
    strokes = coverage >= 0.5
    lines = analysis.lines
    real = (lines.pieces, lines.areas >= MIN_JOINED_PIECE)
    whole = joining_strokes(lines.line, strokes, real=real)
    grouped = joining_strokes(lines.line, strokes, real=real, boxes=[c.bbox for c in closures])
    np.testing.assert_array_equal(grouped, whole)
    assert whole.any() and (strokes & ~whole).any()  # some strokes join lines, some do not
