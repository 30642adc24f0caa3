"""The live preview and animated layers: a run over keyframes leaves nothing to preview, and a
layer that got keyframes after a still run is not previewed either; the status line says why."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from krita_linerefiner.core.ink import PixelFormat, pixels_from_ink
from krita_linerefiner.plugin.layers import Rect, SourceImage
from krita_linerefiner.plugin.live import ANIMATED, LivePreview
from krita_linerefiner.plugin.pipeline import Job, compute
from krita_linerefiner.plugin.settings import Settings
from tests.e2e.test_krita_flats import draw
from tests.model_fixtures import write_model_dir

U8 = PixelFormat("RGBA", "U8")


@pytest.fixture(autouse=True)
def closing_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEREFINER_MODELS", str(write_model_dir(tmp_path / "models")))


class Uid:
    def __init__(self, text: str) -> None:
        self.text = text

    def toString(self) -> str:  # noqa: N802 (Krita's name)
        return self.text


class Node:
    """What live.py asks of a layer before it reads any pixel."""

    def __init__(self, uid: str, keyframes: bool = False, children: list[Node] | None = None
                 ) -> None:
        self.uid, self.keyframes, self.children = uid, keyframes, children or []
        self.pixel_reads = 0

    def uniqueId(self) -> Uid:  # noqa: N802
        return Uid(self.uid)

    def childNodes(self) -> list[Node]:  # noqa: N802
        return self.children

    def animated(self) -> bool:
        return self.keyframes

    def pixelData(self, *_args: Any) -> bytes:  # noqa: N802
        self.pixel_reads += 1
        raise AssertionError("the preview read an animated layer")

    pixelDataAtTime = pixelData  # noqa: N815


class Doc:
    def __init__(self, *layers: Node) -> None:
        self.root = Node("root", children=list(layers))

    def rootNode(self) -> Node:  # noqa: N802
        return self.root


def controller(doc: Doc) -> Any:
    app = SimpleNamespace(documents=lambda: [doc], activeDocument=lambda: doc)
    return SimpleNamespace(busy=False, app=app, settings=Settings())


def still_run() -> tuple[Job, Any]:
    ink = draw(gapped=True)
    h, w = ink.shape
    data = np.frombuffer(pixels_from_ink(ink, U8, paper="white"), np.uint8)
    job = Job("gaps", SourceImage(data, Rect(0, 0, w, h), U8, U8, None), Settings())
    outcome = compute(job, lambda _: None, lambda: False)
    assert outcome.seed is not None and outcome.gap_count > 0
    return job, outcome


@pytest.mark.parametrize("which", ["source", "result"])
def test_a_run_over_keyframes_leaves_no_preview_and_says_why(which: str) -> None:
    source = Node("lines", keyframes=True)
    gaps = Node("gaps", keyframes=True)
    if which == "source":
        gaps.keyframes = False  # even a still result of an animated source: frames move
    doc = Doc(source, gaps)
    live = LivePreview(controller(doc))
    job, outcome = still_run()  # what the last frame's result would carry
    live.remember(doc, source, gaps, job, outcome)
    assert live.live is None and len(live.cache) == 0
    records: list[Any] = []
    live.finished.connect(records.append)
    live.start()
    assert [(r.status, r.message) for r in records] == [("none", ANIMATED)]
    assert source.pixel_reads == gaps.pixel_reads == 0 and not live.busy


def test_keyframes_added_after_a_still_run_stop_the_preview_before_any_read() -> None:
    source, gaps = Node("lines"), Node("gaps")
    doc = Doc(source, gaps)
    live = LivePreview(controller(doc))
    job, outcome = still_run()
    live.remember(doc, source, gaps, job, outcome)
    assert live.live is not None and len(live.cache) == 1  # a still run is previewed
    source.keyframes = True
    live.start()
    assert live.last is not None
    assert (live.last.status, live.last.message) == ("none", ANIMATED)
    assert live.live is None and len(live.cache) == 0 and not live.busy
    assert source.pixel_reads == gaps.pixel_reads == 0
    live.start()  # and it keeps saying so
    assert (live.last.status, live.last.message) == ("none", ANIMATED)
