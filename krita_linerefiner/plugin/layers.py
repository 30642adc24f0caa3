"""Everything that reads or writes Krita layers. Main thread only.

The source layer is only ever read. Results are built as a detached group and then added to the
image with one `addChildNode`, which Krita 5.1 records as a single undo step (checked in real
Krita by tests/e2e); Node.setPixelData itself is not undoable, which is why pixels are only ever
written into layers that are not yet part of the image.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..core.errors import LineRefinerError
from ..core.ink import PixelFormat

GROUP_NAME = "Line Refiner"
GAPS_LAYER = "filled gaps"
REFINED_LAYER = "refined lines"
# Top to bottom inside the group: the red gap strokes must stay visible over refined lines.
LAYER_ORDER = (GAPS_LAYER, REFINED_LAYER)
GAP_COLOR = (1.0, 0.0, 0.0)
# Paper read around the layer's lines. A layer's bounds end at its outermost ink, but whether a
# stroke closes a gap depends on the regions on both sides of it; without this margin a gap in a
# line along the layer's edge looks like it seals nothing. Never beyond the canvas, where a fill
# stops anyway.
CONTEXT_MARGIN = 64
LINE_COLOR = (0.0, 0.0, 0.0)


class Rect(NamedTuple):
    x: int
    y: int
    w: int
    h: int

    @property
    def empty(self) -> bool:
        return self.w <= 0 or self.h <= 0

    def padded(self, margin: int) -> Rect:
        return Rect(self.x - margin, self.y - margin, self.w + 2 * margin, self.h + 2 * margin)

    def union(self, other: Rect) -> Rect:
        x, y = min(self.x, other.x), min(self.y, other.y)
        right = max(self.x + self.w, other.x + other.w)
        bottom = max(self.y + self.h, other.y + other.h)
        return Rect(x, y, right - x, bottom - y)

    def intersect(self, other: Rect) -> Rect:
        x, y = max(self.x, other.x), max(self.y, other.y)
        right = min(self.x + self.w, other.x + other.w)
        bottom = min(self.y + self.h, other.y + other.h)
        return Rect(x, y, max(0, right - x), max(0, bottom - y))


@dataclass(frozen=True)
class SourceImage:
    """A copy of the pixels to work on: plain bytes and geometry, safe to hand to a thread."""

    pixels: bytes
    rect: Rect
    fmt: PixelFormat
    result_fmt: PixelFormat  # format of the result layers: the image's
    selection: bytes | None  # one byte per pixel over `rect`, 255 = selected


@dataclass(frozen=True)
class Target:
    doc_root_id: str
    node_id: str


def node_id(node: Any) -> str:
    return node.uniqueId().toString()


def walk(node: Any) -> Iterator[Any]:
    for child in node.childNodes():
        yield child
        yield from walk(child)


def find_node(doc: Any, wanted_id: str) -> Any | None:
    return next((n for n in walk(doc.rootNode()) if node_id(n) == wanted_id), None)


def find_document(app: Any, root_id: str) -> Any | None:
    """The open document whose root node has this id; None once it was closed."""
    return next((d for d in app.documents() if node_id(d.rootNode()) == root_id), None)


def result_format(doc: Any) -> PixelFormat:
    """Result layers are in the image's colour space, so adding them updates the canvas.

    Checked in Krita 5.1.5: a red RGBA layer inside a group in a grayscale image does not show in
    the canvas until a full refreshProjection, and not reliably even then. A grayscale image
    cannot show red anyway; there the "filled gaps" are dark gray (the luma of red).
    """
    return PixelFormat.from_krita(doc.colorModel(), doc.colorDepth())


def target_problem(doc: Any, node: Any) -> str | None:
    """Why a run cannot start on this document and layer, in one line; None if it can."""
    if doc is None:
        return "Open a document to use Line Refiner."
    if node is None:
        return "Select a paint layer with line art."
    kind = node.type()
    if kind != "paintlayer":
        return f"The active layer is a {kind.replace('layer', ' layer')}; select a paint layer."
    try:
        PixelFormat.from_krita(node.colorModel(), node.colorDepth())
        result_format(doc)
    except LineRefinerError as error:
        return str(error)
    return None


def read_source(doc: Any, node: Any) -> SourceImage:
    problem = target_problem(doc, node)
    if problem:
        raise LineRefinerError(problem)
    bounds = node.bounds()
    lines = Rect(bounds.x(), bounds.y(), bounds.width(), bounds.height())
    if lines.empty:
        raise LineRefinerError("The active layer is empty.", hint="select the line-art layer")
    canvas = Rect(0, 0, doc.width(), doc.height())
    rect = lines.padded(CONTEXT_MARGIN).intersect(lines.union(canvas))
    selection = doc.selection()
    mask = None
    if selection is not None:
        rect = rect.intersect(
            Rect(selection.x(), selection.y(), selection.width(), selection.height()))
        if rect.empty:
            raise LineRefinerError("The selection does not overlap the active layer's lines.",
                                   hint="select an area with line art, or Select > Deselect")
        mask = bytes(selection.pixelData(*rect))
    return SourceImage(
        pixels=bytes(node.pixelData(*rect)),
        rect=rect,
        fmt=PixelFormat.from_krita(node.colorModel(), node.colorDepth()),
        result_fmt=result_format(doc),
        selection=mask,
    )


def group_above(source: Any) -> Any | None:
    """The "Line Refiner" group directly above `source`: the results of its previous run."""
    parent = source.parentNode()
    siblings = parent.childNodes()  # bottom to top
    ids = [node_id(n) for n in siblings]
    at = ids.index(node_id(source))
    if at + 1 < len(siblings):
        above = siblings[at + 1]
        if above.type() == "grouplayer" and above.name() == GROUP_NAME:
            return above
    return None


class Patch(NamedTuple):
    """Pixel bytes for one rectangle of a result layer."""

    rect: Rect
    data: bytes


def make_layer(doc: Any, name: str, fmt: PixelFormat, previous: Any | None) -> Any:
    layer = doc.createNode(name, "paintlayer")
    if (layer.colorModel(), layer.colorDepth()) != (fmt.color_model, fmt.depth):
        raise LineRefinerError(
            f"Krita made a {layer.colorModel()} {layer.colorDepth()} layer for the results, "
            f"not {fmt.color_model} {fmt.depth}.")
    if previous is not None:
        # A rerun keeps what the user chose for the old result layer.
        layer.setVisible(previous.visible())
        layer.setOpacity(previous.opacity())
        layer.setBlendingMode(previous.blendingMode())
    return layer


class ResultBuilder:
    """Puts result layers (name -> patches) into a group directly above `source`, replacing the
    group an earlier run left there.

    The layers are filled while they are not part of the image yet, a time slice at a time
    (`write`), so a big result never holds Krita's UI thread for long and nothing is visible
    half-written; `attach` then adds them in one undoable step.
    """

    def __init__(self, doc: Any, source: Any, layers: Mapping[str, Sequence[Patch]],
                 fmt: PixelFormat) -> None:
        self.doc = doc
        self.source = source
        old_group = group_above(source)
        old_layers = {n.name(): n for n in old_group.childNodes()} if old_group else {}
        self.group = doc.createGroupLayer(GROUP_NAME)
        if old_group is not None:
            self.group.setVisible(old_group.visible())
            self.group.setOpacity(old_group.opacity())
        self.pending: list[tuple[Any, Patch]] = []
        for name in reversed(LAYER_ORDER):  # addChildNode(x, None) puts x at the top
            if name in layers:
                layer = make_layer(doc, name, fmt, old_layers.get(name))
                self.group.addChildNode(layer, None)
                self.pending += [(layer, patch) for patch in layers[name]]
        self.pending.reverse()  # pop() from the end

    def write(self, budget_s: float) -> bool:
        """Write patches for about `budget_s` seconds; True once all are written."""
        deadline = time.perf_counter() + budget_s
        while self.pending and time.perf_counter() < deadline:
            layer, patch = self.pending.pop()
            # Node.setPixelData is not undoable; fine here, the layer is not in the image yet.
            layer.setPixelData(patch.data, *patch.rect)
        return not self.pending

    def attach(self) -> Any:
        old_group = group_above(self.source)
        # Old results go first, so Undo steps back in a sensible order: once removes this run's
        # results, a second time brings back the previous run's (each is one step in Krita 5.1).
        if old_group is not None:
            old_group.remove()
        if not self.source.parentNode().addChildNode(self.group, self.source):
            raise LineRefinerError("Krita refused to add the result layers.",
                                   hint="unlock the layer's group and try again")
        return self.group
