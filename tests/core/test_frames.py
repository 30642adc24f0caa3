from __future__ import annotations

import pytest

from krita_linerefiner.core.errors import LineRefinerError
from krita_linerefiner.core.frames import (
    FramePlan,
    FrameRun,
    frames_digest,
    plan_frames,
)


@pytest.mark.parametrize(
    ("keyframes", "start", "end", "process", "blank"),
    [
        ([0, 5, 9], 0, 100, (0, 5, 9), ()),
        ([9, 0, 5, 5], 0, 100, (0, 5, 9), ()),  # unordered, repeated
        ([0, 5, 9], 0, 6, (0, 5), (9,)),  # 9 is after the range
        ([0, 5, 9], 5, 9, (5, 9), (0,)),  # 0 is before and hidden by 5
        ([0, 5, 9], 3, 8, (0, 5), (9,)),  # 0 still shows at 3
        ([0, 5, 9], 6, 8, (5,), (0, 9)),  # only 5 shows, all of 6..8
        ([0, 5, 9], 9, 9, (9,), (0, 5)),
    ],
)
def test_plan_takes_the_keyframes_that_show_in_the_range(
        keyframes: list[int], start: int, end: int, process: tuple[int, ...],
        blank: tuple[int, ...]) -> None:
    plan = plan_frames(keyframes, start, end)
    assert plan == FramePlan(process, blank)
    assert plan.times == tuple(sorted(set(keyframes)))


@pytest.mark.parametrize(("keyframes", "start", "end"),
                         [([4, 8], 0, 3), ([], 0, 100), ([0], 5, 2)])
def test_no_keyframe_showing_is_an_error_the_user_can_act_on(
        keyframes: list[int], start: int, end: int) -> None:
    with pytest.raises(LineRefinerError) as error:
        plan_frames(keyframes, start, end)
    assert error.value.hint


def test_frame_run_steps_through_the_processed_frames_and_shares_the_progress() -> None:
    run: FrameRun[str] = FrameRun(plan_frames([0, 5, 9], 0, 6))
    assert (run.count, run.time, run.label()) == (2, 0, "frame 1 of 2")
    assert [run.overall(v) for v in (-1.0, 0.0, 0.5, 1.0, 2.0)] == [0, 0, 0.25, 0.5, 0.5]
    assert run.advance("first") is True
    assert (run.time, run.label(), run.overall(0.5)) == (5, "frame 2 of 2", 0.75)
    assert run.advance("second") is False
    assert run.results == {0: "first", 5: "second"}


def test_frames_digest_depends_on_every_frame_and_its_time_not_on_the_order_given() -> None:
    base = frames_digest({0: "a", 5: "b"})
    assert frames_digest({5: "b", 0: "a"}) == base
    assert frames_digest({0: "a", 5: "c"}) != base
    assert frames_digest({0: "a", 6: "b"}) != base
    assert frames_digest({0: "a"}) != base
