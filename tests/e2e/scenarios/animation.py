"""Animated layers (issue 13), in real Krita: a paint layer with three keyframes, each a
different drawing with one gap, processed through the Filter menu.

Cancel during the second frame; Close Line Gaps over all keyframes; a rerun; Undo; Fill Flats;
and the "current frame only" setting. The keyframes are made as a user makes them: the
"add_blank_frame" action with the layer active at each time. Inputs come from LR_E2E_INPUT
(written by test_krita_animation.py); pytest asserts on what this records and dumps.
"""

from __future__ import annotations

import hashlib
import json
import os
import runpy
from pathlib import Path
from typing import Any

import numpy as np
from krita import Krita  # type: ignore[import-not-found]

from krita_linerefiner.core.ink import PixelFormat, pixels_from_ink
from krita_linerefiner.plugin.extension import controller

MAIN = runpy.run_path(str(Path(__file__).with_name("main.py")))
tree, run, dump, new_doc = (MAIN[name] for name in ("tree", "run", "dump", "new_doc"))
SCAN = 64  # frames looked at for keyframes (the drawing's are well inside)


def keyframes(node: Any) -> list[int]:
    return [t for t in range(SCAN) if node.hasKeyframeAtTime(t)]


def frame_digests(node: Any, w: int, h: int) -> dict[int, str]:
    return {t: hashlib.sha256(bytes(node.pixelDataAtTime(0, 0, w, h, t))).hexdigest()
            for t in keyframes(node)}


def named(parent: Any, name: str) -> Any:  # None when there is no such child
    return next((n for n in parent.childNodes() if n.name() == name), None)


def state(doc: Any, source: Any) -> dict[str, Any]:
    """What Cancel must leave as it was."""
    w, h = doc.width(), doc.height()
    return {"tree": tree(doc.rootNode()), "time": doc.currentTime(),
            "keyframes": keyframes(source), "frames": frame_digests(source, w, h),
            "modified": doc.modified()}


def dump_frames(ctx: Any, doc: Any, node: Any, name: str) -> None:
    w, h = doc.width(), doc.height()
    ctx.record(f"{name}_animated", bool(node.animated()))
    ctx.record(f"{name}_keyframes", keyframes(node))
    ctx.record(f"{name}_blending", node.blendingMode())
    for t in keyframes(node):
        dump(ctx, f"{name}_{t}", bytes(node.pixelDataAtTime(0, 0, w, h, t)), w, h,
             node.colorModel(), node.colorDepth())
    dump(ctx, f"{name}_now", bytes(node.pixelData(0, 0, w, h)), w, h, node.colorModel(),
         node.colorDepth())


def add_keyframe(ctx: Any, app: Any, doc: Any, source: Any, t: int):
    """An empty keyframe at `t` on `source`, as a user adds one: the action acts on the active
    layer at the current frame. Once seen not to take under load (the layer not yet active
    when the action ran), so it waits for both and tries again."""
    doc.setCurrentTime(t)
    doc.waitForDone()
    yield (lambda: doc.currentTime() == t, 10)
    for attempt in range(5):
        doc.setActiveNode(source)
        yield (lambda: doc.activeNode() is not None
               and doc.activeNode().uniqueId() == source.uniqueId(), 10)
        app.action("add_blank_frame").trigger()
        try:
            yield (lambda: source.hasKeyframeAtTime(t), 3)
            return
        except TimeoutError:
            ctx.log(f"no keyframe at {t} after attempt {attempt + 1}")
            yield 0.0  # taken by the driver's throw(); the loop goes on with the next yield
    raise RuntimeError(f"could not add a keyframe at {t}")


def steps(ctx: Any):
    app = Krita.instance()
    ctl = controller()
    spec = json.loads(Path(os.environ["LR_E2E_INPUT"]).read_text())
    inks = np.load(spec["inks"])
    inks = np.concatenate([inks, inks[:1]])  # the keyframe after the playback range
    times, shown = spec["times"] + [spec["outside_time"]], spec["current_time"]
    _, h, w = inks.shape
    doc = new_doc(app, "animation", w, h, "RGBA", "U8")
    yield 1.0
    source = doc.createNode("lines", "paintlayer")
    doc.rootNode().addChildNode(source, None)
    # As line art on paper often is: the results must not take this over.
    source.setBlendingMode("multiply")
    fmt = PixelFormat("RGBA", "U8")
    for t, ink in zip(times, inks, strict=True):
        yield from add_keyframe(ctx, app, doc, source, t)
        source.setPixelData(pixels_from_ink(ink, fmt, paper="transparent"), 0, 0, w, h)
    doc.setCurrentTime(shown)
    doc.waitForDone()
    yield (lambda: doc.currentTime() == shown, 10)
    doc.setActiveNode(source)
    yield 1.0
    # The animation's end as the user sets it (Animation docker, End), once the timeline has
    # taken in the new keyframes (set earlier, it was once found moved to the last keyframe).
    # Document.setPlayBackRange does not last in Krita 5.1 (checked: read back at once, then
    # the full clip range again one event-loop turn later; the timeline resets it).
    doc.setFullClipRangeEndTime(spec["playback_end"])
    yield 0.5
    doc.setModified(False)  # after the keyframes' own delayed updates, which set it again
    ctx.record("source_keyframes", keyframes(source))
    ctx.record("playback", [doc.playBackStartTime(), doc.playBackEndTime()])
    ctx.record("setting", ctl.settings.animation)
    before = state(doc, source)
    ctx.record("before", before)
    # This one and the plugin's line-weight template (a document without a view).
    ctx.record("documents_before", len(app.documents()))

    # -- Cancel during the second frame -------------------------------------------------------
    ctl.last_outcome = None
    labels: list[str] = []
    app.action("linerefiner_close_gaps").trigger()
    yield (lambda: ctl.frames is not None and ctl.frames.index == 1, 120)
    labels.append(ctl.busy_text())
    ctl.cancel()
    yield (lambda: ctl.last_outcome is not None and not ctl.busy, 120)
    yield 0.5
    ctx.record("cancel_outcome", vars(ctl.last_outcome))
    ctx.record("cancel_busy_text", labels)
    ctx.record("after_cancel", state(doc, source))

    # -- Cancel while the results are written, keyframe by keyframe, in the plugin's scratch
    # document: pressed (between two event-loop turns, as a click is) once the scratch
    # document is at the second keyframe; slices of 0.1 ms, so the writing spans many turns --
    from krita_linerefiner.plugin import extension
    from krita_linerefiner.plugin import frames as frames_mod
    from krita_linerefiner.plugin.qt import QTimer

    show_time = frames_mod.show_time
    during: dict[str, Any] = {}

    def show_time_then_cancel(scratch: Any, at: int) -> bool:
        shown_now = show_time(scratch, at)
        if shown_now and at == times[1] and not during:
            during.update(time=doc.currentTime(), scratch_time=scratch.currentTime(),
                          documents=len(app.documents()))
            QTimer.singleShot(0, ctl.cancel)
        return shown_now

    frames_mod.show_time = show_time_then_cancel
    slice_s, extension.APPLY_SLICE_S = extension.APPLY_SLICE_S, 1e-4
    doc.setActiveNode(source)
    yield 0.3
    ctl.last_outcome = None
    app.action("linerefiner_close_gaps").trigger()
    yield (lambda: ctl.last_outcome is not None and not ctl.busy, 120)
    frames_mod.show_time = show_time
    extension.APPLY_SLICE_S = slice_s
    yield 0.5
    ctx.record("write_cancel_during", during)
    ctx.record("write_cancel_outcome", vars(ctl.last_outcome))
    ctx.record("after_write_cancel", state(doc, source))
    ctx.record("documents_after_write_cancel", len(app.documents()))

    # -- Close Line Gaps over every keyframe ---------------------------------------------------
    doc.setActiveNode(source)
    yield 0.3
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("gaps_outcome", vars(ctl.last_outcome))
    ctx.record("gaps_tree", tree(doc.rootNode()))
    ctx.record("gaps_time", doc.currentTime())
    ctx.record("gaps_source_frames", frame_digests(source, w, h))
    ctx.record("documents_after_gaps", len(app.documents()))
    group = named(doc.rootNode(), "Line Refiner")
    gaps = named(group, "filled gaps") if group is not None else None
    if gaps is not None:
        dump_frames(ctx, doc, gaps, "gaps")
        # -- moving Max gap offers no live preview of keyframes, and changes no keyframe --------
        live, max_gap = ctl.live(), ctl.settings.max_gap
        marker = live.last
        ctx.record("slider_gaps_frames_before", frame_digests(gaps, w, h))
        ctl.update_settings("max_gap", 2)
        yield (lambda: live.last is not marker and not live.busy
               and not live.debounce.isActive(), 30)
        ctx.record("slider_preview", vars(live.last) if live.last is not marker else None)
        ctx.record("slider_gaps_frames", frame_digests(gaps, w, h))
        ctl.update_settings("max_gap", max_gap)
        yield (lambda: not live.busy and not live.debounce.isActive(), 30)

    # -- a rerun replaces the untouched animated results (no "(edited)" copy) ------------------
    doc.setActiveNode(source)
    yield 0.3
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("rerun_outcome", vars(ctl.last_outcome))
    ctx.record("rerun_tree", tree(doc.rootNode()))

    # -- Undo: one step takes the rerun's results away, the next brings the first run's back --
    app.action("edit_undo").trigger()
    yield 0.5
    ctx.record("undo1_tree", tree(doc.rootNode()))
    ctx.record("undo1_time", doc.currentTime())

    # -- Fill Flats over every keyframe --------------------------------------------------------
    doc.setActiveNode(source)
    yield 0.3
    yield from run(ctx, "linerefiner_fill_flats")
    ctx.record("flats_outcome", vars(ctl.last_outcome))
    ctx.record("flats_order", [n.name() for n in doc.topLevelNodes()])
    ctx.record("flats_time", doc.currentTime())
    flats = named(doc.rootNode(), "flats")
    if flats is not None:
        dump_frames(ctx, doc, flats, "flats")

    # -- the user recolours a region in another keyframe than the one on screen, then Fill
    # Flats again: that keyframe keeps the user's colour, the others their colours -----------
    doc.setCurrentTime(spec["recolour_time"])
    doc.waitForDone()
    yield (lambda: doc.currentTime() == spec["recolour_time"], 10)
    if flats is not None:
        data = np.frombuffer(bytes(flats.pixelData(0, 0, w, h)), np.uint8).reshape(h, w, 4)
        data = data.copy()
        x, y = spec["recolour_at"]
        same = (data == data[y, x]).all(axis=2)
        data[same] = spec["recolour_bgra"]
        flats.setPixelData(data.tobytes(), 0, 0, w, h)
    doc.setCurrentTime(shown)
    doc.waitForDone()
    yield (lambda: doc.currentTime() == shown, 10)
    doc.setActiveNode(source)
    yield 0.5
    yield from run(ctx, "linerefiner_fill_flats")
    ctx.record("reflats_outcome", vars(ctl.last_outcome))
    ctx.record("reflats_order", [n.name() for n in doc.topLevelNodes()])
    flats = named(doc.rootNode(), "flats")
    if flats is not None:
        dump_frames(ctx, doc, flats, "reflats")

    # -- Refine Lines and Close Gaps with Smooth and Curve: a group of two line layers, each
    # with its own "line weight" mask, all with keyframes ------------------------------------
    ctl.update_settings("smooth_enabled", True)
    ctl.update_settings("curve_enabled", True)
    doc.setActiveNode(source)
    yield 0.3
    yield from run(ctx, "linerefiner_refine_close_gaps")
    ctx.record("refine_outcome", vars(ctl.last_outcome))
    ctx.record("refine_tree", tree(doc.rootNode()))
    group = named(doc.rootNode(), "Line Refiner")
    lines = named(group, "refined lines") if group is not None else None
    ctx.record("refine_keyframes", {n.name(): keyframes(n) for n in
                                    (lines.childNodes() if lines is not None else [])})
    ctx.record("refine_frames", {n.name(): frame_digests(n, w, h) for n in
                                 (lines.childNodes() if lines is not None else [])})
    ctl.update_settings("smooth_enabled", False)
    ctl.update_settings("curve_enabled", False)

    # -- "current frame only": one plain layer, from the frame on screen -----------------------
    ctl.update_settings("animation", "current frame only")
    doc.setActiveNode(source)
    yield 0.3
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("current_outcome", vars(ctl.last_outcome))
    group = named(doc.rootNode(), "Line Refiner")
    gaps = named(group, "filled gaps") if group is not None else None
    if gaps is not None:
        ctx.record("current_animated", bool(gaps.animated()))
        dump(ctx, "current_gaps", bytes(gaps.pixelData(0, 0, w, h)), w, h, gaps.colorModel(),
             gaps.colorDepth())
    ctl.update_settings("animation", "all keyframes")
    doc.setModified(False)
    doc.close()
    yield 0.3
