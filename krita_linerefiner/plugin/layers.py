"""Everything that reads or writes Krita layers. Main thread only.

The source layer is only ever read. Results are built as a detached group and then added to the
image with one `addChildNode`, which Krita 5.1 records as a single undo step (checked in real
Krita by tests/e2e); Node.setPixelData itself is not undoable, which is why pixels are only ever
written into layers that are not yet part of the image.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import tempfile
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..core.errors import LineRefinerError
from ..core.ink import PixelFormat

GROUP_NAME = "Line Refiner"
GAPS_LAYER = "filled gaps"
REFINED_LAYER = "refined lines"
SMOOTHED_LAYER = "smoothed lines"
# With smoothing on, "refined lines" is a group of "smoothed lines" over this (hidden) layer.
UNSMOOTHED_LAYER = "unsmoothed lines"
CURVE_MASK = "line weight"
# Top to bottom inside the group: the red gap strokes must stay visible over refined lines.
LAYER_ORDER = (GAPS_LAYER, REFINED_LAYER)
# A .kra saved by Krita 5.1.5 holding one "perchannel" filter mask named CURVE_MASK. Krita 5.1
# reads a perchannel configuration's curves only from XML: InfoObject.setProperty("curve4", ...)
# is stored but the filter keeps 0 curves and changes nothing, and is saved as nTransfers=0
# (checked). So the mask is loaded from this file with its filterconfig rewritten.
CURVE_TEMPLATE = Path(__file__).with_name("curve_mask.kra")
# perchannel's curves per colour model in Krita 5.1 (nTransfers, index of the alpha curve):
# RGBA: all colours, R, G, B, A, hue, saturation, lightness; GRAYA: gray, alpha. Lines are ink
# on transparent, so the line weight is the alpha curve (checked: curve4 bold adds ink in RGBA).
CURVE_CHANNELS = {"RGBA": (8, 4), "GRAYA": (2, 1)}
IDENTITY_CURVE = "0,0;1,1;"
# The colourist's flat colours: a paint layer directly below the source, so the lines stay on top.
FLATS_LAYER = "flats"
# Paper read around the layer's lines. A layer's bounds end at its outermost ink, but whether a
# stroke closes a gap depends on the regions on both sides of it; without this margin a gap in a
# line along the layer's edge looks like it seals nothing. Never beyond the canvas, where a fill
# stops anyway.
CONTEXT_MARGIN = 64
LINE_COLOR = (0.0, 0.0, 0.0)
MASK_TYPES = ("filtermask", "transparencymask", "selectionmask", "colorizemask",
              "transformmask")
# Result layers this plugin writes directly into the group, by name (top-level children).
RESULT_UNITS = (GAPS_LAYER, REFINED_LAYER)
RESULT_PAINT_LAYERS = (GAPS_LAYER, REFINED_LAYER, SMOOTHED_LAYER, UNSMOOTHED_LAYER)
EDITED = "{name} (edited)"
# Where the record of what the plugin wrote is kept in the document (saved in the .kra).
ANNOTATION = "linerefiner-results"
# Rows per pixelData call when copying the source or checking an old result layer: 2 MB, so one
# call stays well inside a 30 ms slice (a 4 MB band of an 8000 px wide layer took 60 ms).
CHECK_BYTES = 2 << 20


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

    pixels: bytes | np.ndarray  # raw layer bytes; a 1-D uint8 array is the same bytes
    rect: Rect
    fmt: PixelFormat
    result_fmt: PixelFormat  # format of the result layers: the image's
    selection: bytes | np.ndarray | None  # one byte per pixel over `rect`, 255 = selected


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


def source_layer(node: Any) -> Any:
    """The layer a run reads: a selected mask stands for the paint layer it belongs to."""
    if node is not None and node.type() in MASK_TYPES:
        parent = node.parentNode()
        if parent is not None and parent.type() == "paintlayer":
            return parent
    return node


def anchor_node(source: Any) -> Any:
    """The node the results go directly above: the source, or, when the source is inside a
    locked group, the outermost locked group (Krita lets a script add layers inside a locked
    group, but the user locked it so that nothing changes in there)."""
    anchor = source
    parent = source.parentNode()
    while parent is not None and parent.parentNode() is not None:
        if parent.locked():
            anchor = parent
        parent = parent.parentNode()
    return anchor


def target_problem(doc: Any, node: Any) -> str | None:
    """Why a run cannot start on this document and layer, in one line; None if it can."""
    if doc is None:
        return "Open a document to use Line Refiner."
    node = source_layer(node)
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


class SourceReader:
    """Copies the layer's pixels (and the selection's) a band of rows at a time, so reading
    even an 8000x8000 layer never holds Krita's UI thread for long (one pixelData call for all
    of it took 1.2 s there, checked). Raises LineRefinerError at once for a layer it cannot use.
    """

    def __init__(self, doc: Any, node: Any, time: int | None = None) -> None:
        node = source_layer(node)
        problem = target_problem(doc, node)
        if problem:
            raise LineRefinerError(problem)
        canvas = Rect(0, 0, doc.width(), doc.height())
        # `time`: one keyframe of an animated layer, read with pixelDataAtTime, which leaves the
        # document's time alone. Node.bounds() is the current frame's only, so a keyframe is
        # read over the canvas (lines outside the canvas are not seen), and may be empty.
        self.time = time
        if time is None:
            bounds = node.bounds()
            lines = Rect(bounds.x(), bounds.y(), bounds.width(), bounds.height())
            if lines.empty:
                raise LineRefinerError("The active layer is empty.",
                                       hint="select the line-art layer")
            rect = lines.padded(CONTEXT_MARGIN).intersect(lines.union(canvas))
        else:
            rect = canvas
        self.selection = doc.selection()
        if self.selection is not None:
            rect = rect.intersect(Rect(self.selection.x(), self.selection.y(),
                                       self.selection.width(), self.selection.height()))
            if rect.empty:
                raise LineRefinerError(
                    "The selection does not overlap the active layer's lines.",
                    hint="select an area with line art, or Select > Deselect")
        self.node = node
        self.rect = rect
        self.fmt = PixelFormat.from_krita(node.colorModel(), node.colorDepth())
        self.result_fmt = result_format(doc)
        # np.empty, not bytearray(n): bytearray zero-fills, which for 256 MB was one 200 ms
        # stretch of the UI thread (measured at 8000x8000); every byte is overwritten anyway.
        self.pixels = np.empty(rect.w * rect.h * self.fmt.bytes_per_pixel, np.uint8)
        self.mask = np.empty(rect.w * rect.h, np.uint8) if self.selection is not None else None
        self.y = 0
        self.band = max(1, CHECK_BYTES // max(1, rect.w * self.fmt.bytes_per_pixel))

    def step(self, budget_s: float) -> bool:
        """Read bands for about `budget_s` seconds; True once all rows are read."""
        deadline = time.perf_counter() + budget_s
        rect = self.rect
        first = True  # at least one band per step, whatever the budget
        while self.y < rect.h and (first or time.perf_counter() < deadline):
            first = False
            rows = min(self.band, rect.h - self.y)
            at = self.y * rect.w
            bpp = self.fmt.bytes_per_pixel
            if self.time is None:
                data = self.node.pixelData(rect.x, rect.y + self.y, rect.w, rows)
            else:
                data = self.node.pixelDataAtTime(rect.x, rect.y + self.y, rect.w, rows,
                                                 self.time)
                if len(data) != rect.w * rows * bpp:  # empty: no keyframe there any more
                    raise LineRefinerError(
                        f"The layer's keyframe at frame {self.time} was removed during the run.")
            self.pixels[at * bpp : (at + rect.w * rows) * bpp] = np.frombuffer(data, np.uint8)
            if self.mask is not None:
                self.mask[at : at + rect.w * rows] = np.frombuffer(
                    self.selection.pixelData(rect.x, rect.y + self.y, rect.w, rows), np.uint8)
            self.y += rows
        return self.y >= rect.h

    def source(self) -> SourceImage:
        # The arrays are handed over as they are (their buffers serve as bytes): copying 256 MB
        # again would be another stretch on the UI thread; nothing writes to them after this.
        return SourceImage(pixels=self.pixels, rect=self.rect, fmt=self.fmt,
                           result_fmt=self.result_fmt, selection=self.mask)


def rgba_to_pixels(rgba: np.ndarray, fmt: PixelFormat) -> bytes:
    """Krita layer bytes for (H, W, 4) RGBA uint8 in an RGBA format: integer depths store
    B, G, R, A, float depths R, G, B, A (as core.ink reads them)."""
    if fmt.color_model != "RGBA":
        raise LineRefinerError("Flat colours need an RGB image.",
                               hint="Image > Convert Image Color Space to RGB/Alpha")
    order = [0, 1, 2, 3] if fmt.is_float else [2, 1, 0, 3]
    data = rgba[..., order]
    if fmt.is_float:
        return (data.astype(fmt.dtype) / fmt.dtype.type(255)).tobytes()
    scale = np.iinfo(fmt.dtype).max // 255
    return (data.astype(fmt.dtype) * fmt.dtype.type(scale)).tobytes()


def pixels_to_rgba(data: bytes, width: int, height: int, fmt: PixelFormat) -> np.ndarray:
    """The inverse of rgba_to_pixels: (H, W, 4) RGBA uint8."""
    values = np.frombuffer(data, fmt.dtype).reshape(height, width, 4)
    order = [0, 1, 2, 3] if fmt.is_float else [2, 1, 0, 3]
    values = values[..., order]
    if fmt.is_float:
        return np.clip(np.rint(values.astype(np.float32) * 255), 0, 255).astype(np.uint8)
    scale = np.iinfo(fmt.dtype).max // 255
    return np.rint(values / scale).astype(np.uint8)


def sibling_below(node: Any) -> Any | None:
    siblings = node.parentNode().childNodes()  # bottom to top
    ids = [node_id(n) for n in siblings]
    at = ids.index(node_id(node))
    return siblings[at - 1] if at > 0 else None


def flats_below(source: Any) -> Any | None:
    """The "flats" paint layer directly below `source` (or below the locked group it is in):
    what an earlier Fill Flats made."""
    below = sibling_below(anchor_node(source))
    if below is not None and below.type() == "paintlayer" and below.name() == FLATS_LAYER:
        return below
    return None


def read_flats(source: Any, rect: Rect, fmt: PixelFormat,
               time: int | None = None) -> np.ndarray | None:
    """The earlier flats over `rect` as (H, W, 4) RGBA uint8; None if there are none (or the
    image is not RGB, where there are no flats to take colours from). `time`: the keyframe of
    animated flats at that time (None if they have none there)."""
    node = flats_below(source)
    if node is None or fmt.color_model != "RGBA":
        return None
    if time is not None and node.animated():
        data = bytes(node.pixelDataAtTime(*rect, time))
        if len(data) != rect.w * rect.h * fmt.bytes_per_pixel:
            return None
    else:
        data = bytes(node.pixelData(*rect))
    return pixels_to_rgba(data, rect.w, rect.h, fmt)


def read_source(doc: Any, node: Any) -> SourceImage:
    """The whole layer at once (scripts and tests; runs use SourceReader's slices)."""
    reader = SourceReader(doc, node)
    while not reader.step(1.0):
        pass
    return reader.source()


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


def carry(node: Any, previous: Any | None) -> Any:
    if previous is not None:
        # A rerun keeps what the user chose for the old result layer.
        node.setVisible(previous.visible())
        node.setOpacity(previous.opacity())
        node.setBlendingMode(previous.blendingMode())
    return node


def make_layer(doc: Any, name: str, fmt: PixelFormat, previous: Any | None,
               animated_source: Any | None = None, scratch: Any = None) -> Any:
    """A detached result paint layer; with `animated_source`, one with a keyframe wherever
    that layer has one, made in `scratch` (see frames.animated_copy)."""
    if animated_source is not None:
        from .frames import animated_copy

        return carry(animated_copy(scratch, animated_source, name, fmt), previous)
    layer = doc.createNode(name, "paintlayer")
    if (layer.colorModel(), layer.colorDepth()) != (fmt.color_model, fmt.depth):
        raise LineRefinerError(
            f"Krita made a {layer.colorModel()} {layer.colorDepth()} layer for the results, "
            f"not {fmt.color_model} {fmt.depth}.")
    return carry(layer, previous)


def curve_config_xml(color_model: str, curve: str) -> str:
    """The perchannel filter configuration that puts `curve` on the lines' alpha channel."""
    count, alpha = CURVE_CHANNELS.get(color_model, CURVE_CHANNELS["RGBA"])
    params = "".join(
        f'<param name="curve{i}">{curve if i == alpha else IDENTITY_CURVE}</param>'
        for i in range(count))
    return (f'<!DOCTYPE params>\n<params version="1"><param name="nTransfers">{count}</param>'
            f"{params}</params>\n")


def curve_template_bytes() -> bytes:
    """CURVE_TEMPLATE with one mask per colour model and preset, named "<model> <preset>"."""
    import io
    import uuid

    from ..core.post import CURVE_PRESETS, krita_curve_string

    with zipfile.ZipFile(CURVE_TEMPLATE) as template:
        entries = {info.filename: template.read(info) for info in template.infolist()}
    maindoc = entries["maindoc.xml"].decode()
    element = re.search(r"<mask [^>]*/>", maindoc)
    stem = re.search(r'filename="([^"]+)"', element.group(0)) if element else None
    if element is None or stem is None:
        raise LineRefinerError("The line weight mask template is damaged.",
                               hint="reinstall LineRefiner")
    prefix = next(n for n in entries if n.endswith(f"/{stem.group(1)}.filterconfig"))
    prefix = prefix[: -len(".filterconfig")]
    masks = []
    for index, (model, preset) in enumerate(
            (m, p) for m in CURVE_CHANNELS for p in CURVE_PRESETS):
        name = f"lwmask{index}"
        text = re.sub(r' filename="[^"]*"', f' filename="{name}"', element.group(0))
        text = re.sub(r' name="[^"]*"', f' name="{model} {preset}"', text)
        masks.append(re.sub(r' uuid="[^"]*"', f' uuid="{{{uuid.uuid4()}}}"', text))
        folder = prefix.rsplit("/", 1)[0]
        for suffix in (".pixelselection", ".pixelselection.defaultpixel"):
            if prefix + suffix in entries:
                entries[f"{folder}/{name}{suffix}"] = entries[prefix + suffix]
        entries[f"{folder}/{name}.filterconfig"] = curve_config_xml(
            model, krita_curve_string(preset)).encode()
    entries["maindoc.xml"] = maindoc.replace(element.group(0), "".join(masks)).encode()
    for suffix in (".filterconfig", ".pixelselection", ".pixelselection.defaultpixel"):
        entries.pop(prefix + suffix, None)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as kra:
        for filename, data in entries.items():
            kra.writestr(filename, data, zipfile.ZIP_STORED if filename == "mimetype"
                         else zipfile.ZIP_DEFLATED)
    return out.getvalue()


class CurveMasks:
    """The perchannel masks, loaded from a template document opened once, before any view.

    Opening a document while a view is active made Krita 5.1.5 hit a "shape" assert in its
    node manager and, inside a run, crash (checked), so the plugin opens the template when it
    starts; that document has no view and is never modified.
    """

    doc: Any = None

    @classmethod
    def load(cls, app: Any) -> None:
        with tempfile.TemporaryDirectory(prefix="lr-masks") as folder:
            path = Path(folder) / "line_weight.kra"
            path.write_bytes(curve_template_bytes())
            cls.doc = app.openDocument(str(path))

    @classmethod
    def release(cls) -> None:
        """Close the template document. Called when Krita quits: Krita 5.1.5 crashed on exit
        (segmentation fault, checked) whenever this view-less document was still open."""
        doc, cls.doc = cls.doc, None
        if doc is not None:
            doc.setModified(False)
            doc.close()

    @classmethod
    def mask(cls, color_model: str, preset: str) -> Any:
        """A detached "line weight" mask with `preset` on the alpha curve of `color_model`."""
        if color_model not in CURVE_CHANNELS:
            color_model = "RGBA"
        wanted = f"{color_model} {preset}"
        found = [n for n in walk(cls.doc.rootNode()) if n.name() == wanted] if cls.doc else []
        if not found:
            raise LineRefinerError("The line weight mask could not be loaded.",
                                   hint="restart Krita; if it persists, reinstall LineRefiner")
        mask = found[0].duplicate()
        mask.setName(CURVE_MASK)
        return mask


class Written(NamedTuple):
    """What the plugin wrote into one result layer: the bytes over `rect` hash to `digest`."""

    rect: Rect
    digest: str


# node id -> Written, for every result layer written in this Krita session. Also kept in the
# document (ANNOTATION), so a rerun after saving and reopening still tells touched layers apart.
RECORDS: dict[str, Written] = {}


def load_records(doc: Any) -> dict[str, Written]:
    records = dict(RECORDS)
    try:
        raw = bytes(doc.annotation(ANNOTATION))
        saved = json.loads(raw.decode()) if raw else {}
        for key, (x, y, w, h, digest) in saved.items():
            records.setdefault(key, Written(Rect(x, y, w, h), digest))
    except (ValueError, TypeError, AttributeError):
        pass  # no record, or a damaged one: every old result counts as touched, none is lost
    return records


def save_records(doc: Any, written: Mapping[str, Written]) -> None:
    RECORDS.update(written)
    alive = {node_id(n) for n in walk(doc.rootNode())}
    records = {k: v for k, v in load_records(doc).items() if k in alive}
    records.update(written)
    payload = {k: [*v.rect, v.digest] for k, v in records.items()}
    # An API without annotations: the session's RECORDS still serve reruns.
    with contextlib.suppress(AttributeError, TypeError):
        doc.setAnnotation(ANNOTATION, "LineRefiner: what it wrote into its result layers",
                          json.dumps(payload).encode())


class LayerCheck:
    """Reads an old result layer back a band of rows at a time and compares it with what the
    plugin wrote there; `touched` once the answer is known to be "the user changed it"."""

    def __init__(self, node: Any, written: Written | None, doc: Any = None,
                 hashing: Any = None) -> None:
        self.node = node
        self.written = written
        # An Executor (one thread, so in order) that hashes the bands off the UI thread (the
        # live preview's): then `done` means all is read, and result() there gives the answer.
        self.hashing = hashing
        self.digest = hashlib.sha256()
        self.y = written.rect.y if written else 0
        self.touched = written is None or not self.inside(written.rect)
        self.done = self.touched
        # An animated result: every keyframe is read (pixelDataAtTime) and the digests of all
        # of them combined, as core.frames.frames_digest did when it was written.
        self.times: list[int] = []
        self.frame_digests: dict[int, str] = {}
        if not self.done and doc is not None and node.animated():
            from .frames import keyframe_times

            self.times = keyframe_times(doc, node)

    def inside(self, rect: Rect) -> bool:
        b = self.node.bounds()
        bounds = Rect(b.x(), b.y(), b.width(), b.height())
        return bounds.empty or bounds.intersect(rect) == bounds

    def read(self, x: int, y: int, w: int, h: int) -> bytes:
        if not self.times:
            return bytes(self.node.pixelData(x, y, w, h))
        return bytes(self.node.pixelDataAtTime(x, y, w, h, self.times[len(self.frame_digests)]))

    def step(self) -> None:
        assert self.written is not None
        rect = self.written.rect
        bpp = max(1, len(self.read(rect.x, rect.y, 1, 1)))
        rows = max(1, min(rect.y + rect.h - self.y, CHECK_BYTES // max(1, rect.w * bpp)))
        data = self.read(rect.x, self.y, rect.w, rows)
        if self.hashing is not None and not self.times:
            self.hashing.submit(self.digest.update, data)
        else:
            self.digest.update(data)
        self.y += rows
        if self.y < rect.y + rect.h:
            return
        if self.hashing is not None and not self.times:
            self.done = True
            return
        if self.times:
            from ..core.frames import frames_digest

            self.frame_digests[self.times[len(self.frame_digests)]] = self.digest.hexdigest()
            if len(self.frame_digests) < len(self.times):
                self.digest, self.y = hashlib.sha256(), rect.y
                return
            found = frames_digest(self.frame_digests)
        else:
            found = self.digest.hexdigest()
        self.done = True
        self.touched = found != self.written.digest


    def result(self) -> bool:
        """Whether the user changed the layer, once `done`; with `hashing`, call it on that
        executor's thread after the last step (it waits for no band itself)."""
        if self.touched or self.written is None or self.hashing is None or self.times:
            return self.touched
        return self.digest.hexdigest() != self.written.digest


def result_unit_layers(unit: Any) -> tuple[list[Any], bool]:
    """The paint layers of one top-level result node, and whether it holds anything the plugin
    does not make (then it counts as the user's work)."""
    if unit.type() == "paintlayer":
        masks_ok = all(c.type() == "filtermask" and c.name() == CURVE_MASK
                       for c in unit.childNodes())
        return [unit], not masks_ok
    layers, foreign = [], False
    for child in unit.childNodes():
        if child.type() == "paintlayer" and child.name() in RESULT_PAINT_LAYERS:
            inner, extra = result_unit_layers(child)
            layers += inner
            foreign = foreign or extra
        else:
            foreign = True
    return layers, foreign


def clear_bands(layer: Any) -> list[Patch]:
    """Transparent patches over the layer's current frame (Node.bounds is that frame's), in
    bands of rows, in reverse order (they are popped from the end)."""
    b = layer.bounds()
    rect = Rect(b.x(), b.y(), b.width(), b.height())
    if rect.empty:
        return []
    bpp = len(bytes(layer.pixelData(rect.x, rect.y, 1, 1)))
    rows = max(1, CHECK_BYTES // max(1, rect.w * bpp))
    bands = [Patch(Rect(rect.x, y, rect.w, min(rows, rect.y + rect.h - y)), b"")
             for y in range(rect.y, rect.y + rect.h, rows)]
    return [Patch(band.rect, bytes(band.rect.w * band.rect.h * bpp))
            for band in reversed(bands)]


class ResultBuilder:
    """Puts result layers (name -> patches) into a group directly above `source` (or above the
    locked group it is in), replacing what an earlier run left there that the user has not
    touched.

    The layers are filled while they are not part of the image yet, a time slice at a time
    (`write`), so a big result never holds Krita's UI thread for long and nothing is visible
    half-written; the earlier results are read back in slices too, to tell the ones the user
    painted on from the untouched ones; `attach` then adds everything in one undoable step.
    Layers the user added to the old group move into the new one as they are; result layers
    the user painted on move too, renamed "<name> (edited)" and hidden.
    """

    def __init__(self, doc: Any, source: Any, layers: Mapping[str, Sequence[Patch]],
                 fmt: PixelFormat, curve: str | None = None,
                 digests: Mapping[str, str] | None = None, rect: Rect | None = None,
                 frames: Mapping[int, Mapping[str, Sequence[Patch]]] | None = None,
                 scratch: Any = None) -> None:
        """`frames`: the source is animated and these are the results per keyframe time (every
        keyframe of the source, those not processed with no patches); `layers` then only names
        the layers to make, each with a keyframe at every one of those times, written in
        `scratch` (frames.scratch_document), which the builder closes."""
        self.doc = doc
        self.scratch = scratch
        if frames is not None:
            from .frames import keyframe_times

            # A keyframe the user added to the source during the run is in the copies too:
            # left empty, never showing the source's own pixels as a result.
            frames = {**{t: {} for t in keyframe_times(doc, source)}, **frames}
        self.frames = frames
        self.source = source
        self.anchor = anchor_node(source)
        self.digests = dict(digests or {})
        self.rect = rect
        old_group = group_above(self.anchor)
        old = {n.name(): n for n in walk(old_group)} if old_group else {}
        # masks by "<layer>/<mask>": every line layer has a "line weight" mask
        old.update({f"{n.parentNode().name()}/{n.name()}": n for n in walk(old_group)
                    if n.type().endswith("mask")} if old_group else {})
        layers = dict(layers)
        flats = layers.pop(FLATS_LAYER, None)
        self.old_flats = flats_below(source) if flats is not None else None
        animated = source if frames is not None else None
        self.flats = (make_layer(doc, FLATS_LAYER, fmt, self.old_flats, animated, scratch)
                      if flats is not None and (flats or frames is not None) else None)
        self.group = doc.createGroupLayer(GROUP_NAME)
        if old_group is not None:
            self.group.setVisible(old_group.visible())
            self.group.setOpacity(old_group.opacity())
        # (keyframe time or None, layer, patch or None: clear that keyframe first)
        self.pending: list[tuple[int | None, Any, Patch | None]] = []
        self.units: dict[str, Any] = {}  # top-level result nodes of this run, by name
        self.paint_layers: dict[str, Any] = {}  # by the name of their data in `layers`

        def queue_patches(layer: Any, patches: Sequence[Patch], data: str) -> None:
            if frames is None:
                self.pending.extend((None, layer, patch) for patch in patches)
                return
            for at, results in frames.items():
                self.pending.append((at, layer, None))
                self.pending.extend((at, layer, patch) for patch in results.get(data, ()))

        def paint_layer(name: str, patches: Sequence[Patch], data: str) -> Any:
            layer = make_layer(doc, name, fmt, old.get(name), animated, scratch)
            queue_patches(layer, patches, data)
            self.paint_layers[data] = layer
            return layer

        for name in reversed(LAYER_ORDER):
            if name not in layers:
                continue
            lines = []
            if name == REFINED_LAYER and SMOOTHED_LAYER in layers:
                # One group, so hiding one layer and showing the other switches between them.
                node = carry(doc.createGroupLayer(REFINED_LAYER), old.get(REFINED_LAYER))
                raw = paint_layer(UNSMOOTHED_LAYER, layers[REFINED_LAYER], REFINED_LAYER)
                if UNSMOOTHED_LAYER not in old:
                    raw.setVisible(False)
                lines = [raw, paint_layer(SMOOTHED_LAYER, layers[SMOOTHED_LAYER],
                                          SMOOTHED_LAYER)]
                for layer in lines:
                    node.addChildNode(layer, None)
            else:
                node = paint_layer(name, layers[name], name)
                if name == REFINED_LAYER:
                    lines = [node]
            if curve is not None:
                # Krita 5.1 refuses filter masks on group layers (allowAsChild, checked), so
                # each line layer gets its own.
                for layer in lines:
                    mask = CurveMasks.mask(fmt.color_model, curve)
                    previous = old.get(f"{layer.name()}/{CURVE_MASK}")
                    if previous is not None:
                        mask.setVisible(previous.visible())
                    layer.addChildNode(mask, None)
            self.units[name] = node
        if self.flats is not None:
            queue_patches(self.flats, flats or [], FLATS_LAYER)
            self.paint_layers[FLATS_LAYER] = self.flats
        if frames is not None:
            # The results are written while they sit in the scratch document: one switch of
            # its time per keyframe; a stable sort keeps each keyframe's clearing before its
            # patches.
            for node in [*self.units.values(), *([self.flats] if self.flats else [])]:
                scratch.rootNode().addChildNode(node, None)
            self.pending.sort(key=lambda entry: entry[0] or 0)
        self.pending.reverse()  # pop() from the end
        # Old results: which did the user paint on? Checked layer by layer, in slices.
        records = load_records(doc) if old_group is not None else {}
        self.checks: dict[str, list[LayerCheck]] = {}
        for unit in old_group.childNodes() if old_group is not None else []:
            if unit.name() not in RESULT_UNITS:
                continue
            found, foreign = result_unit_layers(unit)
            checks = [LayerCheck(n, records.get(node_id(n)), doc) for n in found]
            if foreign:
                checks.append(LayerCheck(unit, None))
            self.checks[node_id(unit)] = checks
        if self.old_flats is not None:
            self.checks[node_id(self.old_flats)] = [
                LayerCheck(self.old_flats, load_records(doc).get(node_id(self.old_flats)), doc)]
        self.queue = [c for checks in self.checks.values() for c in checks if not c.done]
        self.kept_edited: list[str] = []
        self.moved: list[str] = []
        self.flats_below_source = False

    def write(self, budget_s: float) -> bool:
        """Write patches (then read old results back) for about `budget_s` seconds; True once
        all is done."""
        deadline = time.perf_counter() + budget_s
        while self.pending and time.perf_counter() < deadline:
            at, layer, patch = self.pending[-1]
            if at is not None:
                from .frames import show_time

                # setPixelData writes into the keyframe at its image's current time.
                if not show_time(self.scratch, at):
                    return False  # the time switch is still under way: the next slice
                if not layer.hasKeyframeAtTime(at):
                    # Removed from the source during the run: writing would go into the
                    # keyframe before it.
                    self.pending.pop()
                    continue
            self.pending.pop()
            if patch is None:
                self.pending.extend((at, layer, band) for band in clear_bands(layer))
                continue
            # Node.setPixelData is not undoable; fine here, the layer is not in the image yet.
            layer.setPixelData(patch.data, *patch.rect)
        while self.queue and time.perf_counter() < deadline:
            check = self.queue[0]
            check.step()
            if check.done:
                self.queue.pop(0)
        return not self.pending and not self.queue

    def touched(self, unit: Any) -> bool:
        return any(c.touched for c in self.checks.get(node_id(unit), [LayerCheck(unit, None)]))

    def compose(self, old_group: Any | None) -> list[Any]:
        """The new group's children, bottom to top: the old group's order, with untouched
        results replaced by this run's, touched ones kept (renamed, hidden) below their new
        version, and the user's own layers kept where they were."""
        children: list[Any] = []
        placed: set[str] = set()
        for child in old_group.childNodes() if old_group is not None else []:
            name = child.name()
            if name in RESULT_UNITS:
                if self.touched(child):
                    copy = child.duplicate()
                    copy.setName(EDITED.format(name=name))
                    copy.setVisible(False)
                    children.append(copy)
                    self.kept_edited.append(name)
                if name in self.units and name not in placed:
                    children.append(self.units[name])
                    placed.add(name)
            else:
                children.append(child.duplicate())
                self.moved.append(name)
        for name in reversed(LAYER_ORDER):  # bottom to top; new kinds of result go at the
            if name in self.units and name not in placed:  # bottom (lines) or top (gaps)
                if name == REFINED_LAYER:
                    children.insert(0, self.units[name])
                else:
                    children.append(self.units[name])
        return children

    def adopt(self) -> None:
        """Take the written results out of the scratch document (as duplicates, which keep
        every keyframe, checked) and close it."""
        if self.scratch is None:
            return
        copies: dict[str, Any] = {}
        for name, unit in list(self.units.items()):
            copies[name] = unit.duplicate()
            inside = {n.name(): n for n in walk(copies[name])}
            for data, layer in self.paint_layers.items():
                if layer is unit:
                    self.paint_layers[data] = copies[name]
                elif any(node_id(n) == node_id(layer) for n in walk(unit)):
                    self.paint_layers[data] = inside[layer.name()]
        self.units.update(copies)
        if self.flats is not None:
            self.flats = self.paint_layers[FLATS_LAYER] = self.flats.duplicate()
        self.discard()

    def discard(self) -> None:
        """Close the scratch document, if any (a cancelled or failed run, or after adopt)."""
        if self.scratch is not None:
            from .frames import close_scratch

            scratch, self.scratch = self.scratch, None
            close_scratch(scratch)

    def attach(self) -> Any:
        self.adopt()
        old_group = group_above(self.anchor)
        for node in self.compose(old_group):
            self.group.addChildNode(node, None)  # None: on top of what is there
        # Old results go first, so Undo steps back in a sensible order: once removes this run's
        # results, a second time brings back the previous run's (each is one step in Krita 5.1).
        if old_group is not None:
            old_group.remove()
        if not self.anchor.parentNode().addChildNode(self.group, self.anchor):
            raise LineRefinerError("Krita refused to add the result layers.",
                                   hint="unlock the layer's group and try again")
        if self.flats is not None:
            self.attach_flats()
        if self.rect is not None:
            save_records(self.doc, {node_id(layer): Written(self.rect, self.digests[name])
                                    for name, layer in self.paint_layers.items()
                                    if name in self.digests})
        return self.group

    def attach_flats(self) -> None:
        """The flats go directly below the source (or its locked group), replacing the old
        "flats" there; one the user painted on is kept below, as "flats (edited)", hidden."""
        parent = self.anchor.parentNode()
        old = self.old_flats
        if old is not None and flats_below(self.source) is not None:
            edited = None
            if self.touched(old):
                edited = old.duplicate()
                edited.setName(EDITED.format(name=FLATS_LAYER))
                edited.setVisible(False)
                self.kept_edited.append(FLATS_LAYER)
            under = sibling_below(old)
            old.remove()
            if edited is not None:
                self.put_below_anchor(parent, edited, under)
                under = edited
            self.put_below_anchor(parent, self.flats, under)
        else:
            self.put_below_anchor(parent, self.flats, sibling_below(self.anchor))

    def put_below_anchor(self, parent: Any, node: Any, under: Any | None) -> None:
        """Adds `node` between `under` (None: nothing, the bottom) and the anchor."""
        if under is not None:
            parent.addChildNode(node, under)
            return
        # Krita's API adds a child above a given one or on top, never at the bottom: with the
        # source lowest in its group, `node` goes above it and the same source node (its
        # pixels, masks and id untouched) is put back above `node`.
        parent.addChildNode(node, self.anchor)
        anchor = self.anchor
        anchor.remove()
        parent.addChildNode(anchor, node)

    def report(self) -> str:
        """What happened to the earlier results beyond replacing them, in one clause."""
        parts = []
        if self.kept_edited:
            names = ", ".join(f'"{EDITED.format(name=n)}"' for n in self.kept_edited)
            parts.append(f"you had painted on {', '.join(self.kept_edited)}: kept as {names}, "
                         "hidden")
        if self.moved:
            count = len(self.moved)
            parts.append(f"kept your {count} layer{'' if count == 1 else 's'} in the group")
        if self.anchor is not self.source:
            parts.append(f'results are above the locked group "{self.anchor.name()}"')
        return "; ".join(parts)
