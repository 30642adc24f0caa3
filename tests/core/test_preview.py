from __future__ import annotations

from typing import TypeVar

import numpy as np
import pytest

from krita_linerefiner.core.closures import long_reach
from krita_linerefiner.core.errors import LineRefinerError
from krita_linerefiner.core.gaps import GapParams, close_gaps
from krita_linerefiner.core.preview import (
    PREVIEW_REACH,
    PreviewCache,
    PreviewKey,
    count_regions,
    ink_digest,
    preview,
)
from tests.core.scenes import faint_line_to_a_side


class CountingScorer:
    """Wraps the stand-in verifier and counts its runs, to show a preview runs none."""

    def __init__(self, scorer) -> None:
        self.scorer = scorer
        self.calls = 0

    def __call__(self, patches: np.ndarray, features: np.ndarray) -> np.ndarray:
        self.calls += 1
        return self.scorer(patches, features)


@pytest.fixture
def scorer(tmp_path) -> CountingScorer:
    from krita_linerefiner.core.models import create_scorer
    from tests.model_fixtures import add_verifier

    return CountingScorer(create_scorer("verifier", models_dir=add_verifier(tmp_path / "m")))


def boxes(gaps: tuple[int, ...], size: int = 96) -> np.ndarray:
    """One square outline per gap size side by side, each cut by a break of that many px."""
    ink = np.zeros((size + 16, (size + 16) * len(gaps)), np.float32)
    for i, gap in enumerate(gaps):
        x0 = 8 + i * (size + 16)
        ink[8, x0 : x0 + size] = ink[8 + size - 1, x0 : x0 + size] = 1.0
        ink[8 : 8 + size, x0] = ink[8 : 8 + size, x0 + size - 1] = 1.0
        mid = x0 + size // 2
        ink[8, mid - gap // 2 : mid - gap // 2 + gap] = 0.0
    return ink


T = TypeVar("T")


def must(value: T | None) -> T:
    """The value, known here not to be None (narrowed for the type checker)."""
    assert value is not None
    return value


def run(ink: np.ndarray, scorer: CountingScorer, reach: int | None = None):
    result = close_gaps(ink, GapParams(), scorer=scorer, reach=reach)
    assert result.analysis is not None
    return result


def test_preview_at_the_run_params_matches_the_run(scorer) -> None:
    ink = boxes((4, 10))
    result = run(ink, scorer)
    view = preview(must(result.analysis), GapParams())
    np.testing.assert_array_equal(view.gaps, result.gaps)
    assert view.count == result.count == 2
    closed = np.maximum(ink, view.gaps) >= 0.5
    # Two boxes closed: their two insides and the outside.
    assert view.regions == count_regions(closed, np.zeros_like(ink)) == 3
    assert count_regions(ink >= 0.5, np.zeros_like(ink)) == 1


def test_sensitivity_changes_closures_without_running_the_scorer(scorer, monkeypatch) -> None:
    from krita_linerefiner.core import closures

    ink = boxes((3, 8, 14))
    result = run(ink, scorer, reach=PREVIEW_REACH)
    calls = scorer.calls
    probabilities = sorted(c.probability for c in result.closures)
    assert len(probabilities) >= 2
    # A sensitivity whose threshold lies between the two least likely accepted closures.
    low, high = probabilities[0], probabilities[1]
    threshold = (low + high) / 2
    strict_params = GapParams(sensitivity=(0.9 - threshold) / 0.8)
    # Each closure seals a box, so the sealing tier (closures.SEAL_BOOST) takes the least likely
    # one back; without it, the strict sensitivity drops it.
    assert preview(must(result.analysis), strict_params).count == len(probabilities)
    monkeypatch.setattr(closures, "SEAL_BOOST", 0.0)
    strict = preview(must(result.analysis), strict_params)
    loose = preview(must(result.analysis), GapParams(sensitivity=1.0))
    assert scorer.calls == calls
    assert strict.count == len(probabilities) - 1
    assert loose.count >= len(probabilities)
    assert (loose.gaps >= 0.5).sum() > (strict.gaps >= 0.5).sum()
    assert strict.regions < loose.regions


def test_lower_max_gap_drops_the_long_closures(scorer) -> None:
    ink = boxes((4, 14))
    result = run(ink, scorer, reach=PREVIEW_REACH)
    calls = scorer.calls
    both = preview(_cached(result), GapParams(max_gap=24))
    short = preview(_cached(result), GapParams(max_gap=8))
    assert scorer.calls == calls
    assert both.count == 2 and short.count == 1
    assert max(c.length for c in short.closures) <= 8.5
    assert max(c.length for c in both.closures) > 8.5
    assert short.regions == both.regions - 1


def _cached(result):
    cache = PreviewCache()
    key = PreviewKey("layer", b"x")
    cache.put(key, must(result.analysis), PREVIEW_REACH)
    found = cache.get(key)
    assert found is not None
    return found


def test_reach_lets_a_preview_raise_the_max_gap() -> None:
    # The stand-in never trusts a bridge this long; this one prefers the shortest bridges.
    def by_length(patches: np.ndarray, features: np.ndarray) -> np.ndarray:
        return 1.0 - features[:, 0] * 16.0 / 100.0

    scorer = CountingScorer(by_length)
    # 36 px: beyond the default 24 px and the third more a break along a stroke may have.
    ink = boxes((4, 36))
    small = run(ink, scorer)  # searched up to the default 24 px (32 for breaks along strokes)
    cache = PreviewCache()
    cache.put(PreviewKey("a", b"1"), must(small.analysis), 24)
    with pytest.raises(LineRefinerError, match="beyond"):
        preview(must(cache.get(PreviewKey("a", b"1"))), GapParams(max_gap=40))
    wide = run(ink, scorer, reach=PREVIEW_REACH)
    assert len(must(wide.analysis).candidates) > len(must(small.analysis).candidates)
    # What the run itself closed does not depend on how far it searched.
    np.testing.assert_array_equal(wide.gaps, small.gaps)
    assert all(c.length <= long_reach(24) + 0.5 for c in wide.closures)
    cache.put(PreviewKey("a", b"2"), must(wide.analysis), PREVIEW_REACH)
    calls = scorer.calls
    far = preview(must(cache.get(PreviewKey("a", b"2"))), GapParams(max_gap=40))
    assert scorer.calls == calls
    assert any(c.length > long_reach(24) + 0.5 for c in far.closures)
    assert far.regions == preview(must(wide.analysis), GapParams()).regions + 1


def test_cache_misses_when_the_ink_changes() -> None:
    ink = boxes((4, 8))
    edited = ink.copy()
    edited[50, 50] = 1.0
    assert ink_digest(ink) == ink_digest(ink.copy())
    assert ink_digest(ink) != ink_digest(edited)
    assert ink_digest(ink) != ink_digest(ink.reshape(ink.shape[1], ink.shape[0]))
    cache = PreviewCache(size=2)
    analysis = object()
    cache.put(PreviewKey("layer", ink_digest(ink)), analysis, 24)  # type: ignore[arg-type]
    assert cache.get(PreviewKey("layer", ink_digest(ink))) is not None
    assert cache.get(PreviewKey("layer", ink_digest(edited))) is None
    assert cache.get(PreviewKey("other", ink_digest(ink))) is None
    # A new run of the layer replaces its old entry; other layers stay up to `size`.
    cache.put(PreviewKey("layer", ink_digest(edited)), analysis, 24)  # type: ignore[arg-type]
    assert cache.get(PreviewKey("layer", ink_digest(ink))) is None
    assert len(cache) == 1
    cache.put(PreviewKey("b", b"1"), analysis, 24)  # type: ignore[arg-type]
    cache.put(PreviewKey("c", b"1"), analysis, 24)  # type: ignore[arg-type]
    assert len(cache) == 2
    assert cache.get(PreviewKey("layer", ink_digest(edited))) is None
    cache.forget("c")
    assert cache.get(PreviewKey("c", b"1")) is None


def test_digest_of_bytes_and_chunks() -> None:
    data = np.arange(1000, dtype=np.uint8)
    assert ink_digest(data.tobytes()) == ink_digest(memoryview(data.tobytes()))
    assert ink_digest(data.tobytes()) != ink_digest((data + 1).tobytes())


def test_seal_only_preview_counts_sealing_strokes(scorer) -> None:
    ink = np.zeros((64, 96), np.float32)
    ink[30, 5:40] = 1.0
    ink[30, 42:90] = 1.0  # an open line with a break: closing it encloses nothing
    result = run(ink, scorer)
    assert preview(must(result.analysis), GapParams()).count == 1
    sealed = preview(must(result.analysis), GapParams(seal_only=True))
    assert sealed.count == 0 and not sealed.gaps.any()


def test_the_pipeline_keeps_an_analysis_a_preview_can_widen() -> None:
    from krita_linerefiner.core.pipeline import Sessions, Steps, run_pipeline

    def by_length(patches: np.ndarray, features: np.ndarray) -> np.ndarray:
        return 1.0 - features[:, 0] * 16.0 / 100.0

    ink = boxes((4, 36))  # 36 px: beyond 24 and the third more of a break along a stroke
    steps = Steps(gaps=GapParams())
    stages = run_pipeline(ink, steps, sessions=Sessions(scorer=by_length),
                          gap_reach=PREVIEW_REACH)
    assert stages.gaps is not None and stages.gaps.analysis is not None
    assert stages.gaps.count == 1
    cache = PreviewCache()
    key = PreviewKey("layer", ink_digest(ink))
    cache.put(key, stages.gaps.analysis, PREVIEW_REACH)
    run_ = cache.get(key)
    assert run_ is not None
    assert preview(run_, GapParams(max_gap=40)).count == 2


@pytest.mark.parametrize("line", ["whole", "dotted"])
def test_a_preview_reaches_a_faint_line_as_far_as_the_run(line: str, monkeypatch) -> None:
    # A stroke end 30 px above a line, a faint line between: beyond the max gap (24 px) for a
    # bridge to a line's side, within the long reach (32 px) where the faint line runs the
    # whole way (closures.reach_of). An analysis searched to PREVIEW_REACH traces the dotted
    # one too (the verifier gives it 0.2); a preview at the run's params still selects what
    # the run did: the whole line closed, the dotted one not. Faint joins are left out to
    # see the bridge alone.
    from krita_linerefiner.core import gaps
    from krita_linerefiner.core.candidates import no_necks

    monkeypatch.setattr(gaps, "find_faint_joins", lambda lines, reach: no_necks())

    def little(patches: np.ndarray, features: np.ndarray) -> np.ndarray:
        return np.full(len(patches), 0.2, np.float32)

    ink = faint_line_to_a_side(dotted=line == "dotted")
    params = GapParams(line_darkness=1.0)
    small = close_gaps(ink, params, scorer=little)
    wide = close_gaps(ink, params, scorer=little, reach=PREVIEW_REACH)
    np.testing.assert_array_equal(wide.gaps, small.gaps)
    view = preview(must(wide.analysis), params)
    np.testing.assert_array_equal(view.gaps, small.gaps)
    assert (small.gaps[20:50, 40:43] >= 0.5).any() == (line == "whole")
