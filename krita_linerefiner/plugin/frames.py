"""Animated layers in Krita 5.1: finding keyframes, result layers with keyframes, frame switches.

What Krita 5.1.5's Python API allows (checked in real Krita, see docs/krita.md "Animation"):
Node.animated, Node.hasKeyframeAtTime and Node.pixelDataAtTime (which reads one keyframe
without changing the document's time) exist; there is no call that lists keyframes or adds one
to a layer. Node.duplicate keeps every keyframe, and Node.setPixelData writes into the keyframe
showing at its image's current time. So a result layer is a duplicate of the source with its
masks removed, and each keyframe is overwritten while the layer sits in a scratch document
without a view, whose time the writing switches: switching the user's document would move
their canvas, add a frame switch to their undo history and mark the document modified (all
three checked), which a Cancel could not take back. Main thread only.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import LineRefinerError
from ..core.frames import FramePlan, plan_frames
from ..core.ink import PixelFormat

# Keyframes are looked for up to this many frames past the end of the animation (the document's
# clip range or playback range, whichever ends later): Krita 5.1 has no list of a layer's
# keyframes, and hasKeyframeAtTime takes about 1.3 us a frame (100000 frames: 0.13 s, checked).
SCAN_PAST_END = 10_000


def is_animated(node: Any) -> bool:
    return bool(node.animated())


def keyframe_times(doc: Any, node: Any) -> list[int]:
    """The times of the layer's keyframes (see SCAN_PAST_END for how far it looks)."""
    last = max(doc.fullClipRangeEndTime(), doc.playBackEndTime(), doc.animationLength())
    return [t for t in range(0, last + SCAN_PAST_END + 1) if node.hasKeyframeAtTime(t)]


def plan(doc: Any, node: Any) -> FramePlan:
    """Which keyframes a run on this animated layer processes; LineRefinerError if none shows
    in the playback range."""
    return plan_frames(keyframe_times(doc, node), doc.playBackStartTime(),
                       doc.playBackEndTime())


def animated_copy(scratch: Any, source: Any, name: str, fmt: PixelFormat) -> Any:
    """A detached paint layer with a keyframe wherever `source` has one, in format `fmt`, its
    keyframes still holding the source's pixels (each is overwritten while writing results).

    Its properties are set while it is in `scratch`, through a Node object of the scratch
    document: Node.setBlendingMode (and others) record an undo command in the image of the Node
    object it is called on, also for a layer not in that image, which marked the user's document
    modified (checked), so a Cancel would have left a trace."""
    root = scratch.rootNode()
    root.addChildNode(source.duplicate(), None)
    layer = root.childNodes()[-1]  # the same layer, as a Node of the scratch document
    for child in layer.childNodes():  # the source's masks are the user's, not results
        child.remove()
    layer.setName(name)
    layer.setOpacity(255)
    layer.setBlendingMode("normal")
    layer.setVisible(True)
    layer.setLocked(False)
    layer.setAlphaLocked(False)
    layer.setInheritAlpha(False)
    layer.setColorLabel(0)
    # setColorSpace converts every keyframe (checked: a duplicate set to GRAYA U8 had 2 bytes a
    # pixel at each of its keyframes).
    converts = (layer.colorModel(), layer.colorDepth()) != (fmt.color_model, fmt.depth)
    if converts and not layer.setColorSpace(fmt.color_model, fmt.depth, scratch.colorProfile()):
        raise LineRefinerError(
            f"Krita could not make {fmt.color_model} {fmt.depth} result layers from the "
            "animated layer.", hint="set Animation to current frame only")
    layer.remove()  # detached again: the builder puts it where it belongs
    return layer


# The scratch document's size: its layers' pixels are not clipped to it (checked by
# tests/e2e/test_krita_animation.py, whose drawings are larger), and its own projection, which
# Krita recomposites at each frame switch, stays tiny.
SCRATCH_SIZE = 64


def scratch_document(app: Any, fmt: PixelFormat, profile: str) -> Any:
    """A document without a view, for writing keyframes; close it with close_scratch."""
    return app.createDocument(SCRATCH_SIZE, SCRATCH_SIZE, "LineRefiner frames",
                              fmt.color_model, fmt.depth, profile, 72.0)


def close_scratch(scratch: Any) -> None:
    scratch.setModified(False)  # no "save changes?" question
    scratch.close()


def show_time(doc: Any, time: int) -> bool:
    """Make `time` the document's current frame; True once it is. Krita 5.1 switches frames
    asynchronously: currentTime() still gave the old frame right after setCurrentTime, and the
    new one after waitForDone (checked)."""
    if doc.currentTime() != time:
        doc.setCurrentTime(time)
        doc.waitForDone()
    return doc.currentTime() == time
