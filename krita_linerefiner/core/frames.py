"""Which keyframes of an animated layer a run processes, and where a run over them stands.

Pure: the plugin finds the keyframe times (Krita 5.1's Python API has no list of them, only
Node.hasKeyframeAtTime) and hands them in as plain integers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .errors import LineRefinerError

T = TypeVar("T")


@dataclass(frozen=True)
class FramePlan:
    """The keyframes one run works on (`process`) and the other keyframes of the layer
    (`blank`): the results get a keyframe at every time in both, empty at the blank ones, so
    no result of another drawing shows while a keyframe not processed is on screen."""

    process: tuple[int, ...]
    blank: tuple[int, ...]

    @property
    def times(self) -> tuple[int, ...]:
        return tuple(sorted(self.process + self.blank))


def plan_frames(keyframes: Iterable[int], start: int, end: int) -> FramePlan:
    """The keyframes that show during the playback range `start`..`end` (both included): each
    keyframe inside it, and the last one before `start` when none is at `start` (it is what
    shows there). Raises LineRefinerError when no keyframe shows in the range."""
    if end < start:
        raise LineRefinerError(f"The playback range {start}..{end} is empty.",
                               hint="set the start and end in the Animation docker")
    times = sorted(set(keyframes))
    inside = [t for t in times if start <= t <= end]
    before = [t for t in times if t < start]
    if before and (not inside or inside[0] > start):
        inside.insert(0, before[-1])
    if not inside:
        raise LineRefinerError(
            f"The layer has no keyframe in the playback range (frames {start} to {end}).",
            hint="widen the playback range, or set Animation to current frame only")
    chosen = set(inside)
    return FramePlan(tuple(inside), tuple(t for t in times if t not in chosen))


@dataclass
class FrameRun(Generic[T]):
    """Where a run over the keyframes of `plan` stands: the frame being worked on and what
    each finished frame gave."""

    plan: FramePlan
    index: int = 0
    results: dict[int, T] = field(default_factory=dict)  # keyframe time -> its result

    @property
    def count(self) -> int:
        return len(self.plan.process)

    @property
    def time(self) -> int:
        return self.plan.process[self.index]

    def overall(self, value: float) -> float:
        """The whole run's progress when the current frame is `value` (0..1) done: each frame
        an equal share."""
        return (self.index + min(max(value, 0.0), 1.0)) / self.count

    def label(self) -> str:
        return f"frame {self.index + 1} of {self.count}"

    def advance(self, result: T) -> bool:
        """Record the current frame's result; True if another frame follows."""
        self.results[self.time] = result
        if self.index + 1 < self.count:
            self.index += 1
            return True
        return False


def frames_digest(digests: Mapping[int, str]) -> str:
    """One digest for an animated layer from the digests of its keyframes' bytes, by time."""
    combined = hashlib.sha256()
    for time in sorted(digests):
        combined.update(f"{time}:{digests[time]};".encode())
    return combined.hexdigest()
