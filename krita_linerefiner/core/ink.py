"""Pixel bytes of Krita paint layers and cv2 images <-> ink maps (float32, 0 paper, 1 ink).

Ink = alpha * max(1 - luminance, chroma), so black lines on white paper, lines on a transparent
layer and grey lines read as ink scaled by how dark and how opaque they are, and coloured lines
(the red and blue shadow lines of key frames, cyan or yellow guides) by how far their colour is
from grey as well: a pure cyan line is as much a line as a black one although it is bright.
Chroma is max(R, G, B) - min(R, G, B) of the stored values, so greys are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import LineRefinerError

# Rec.709 luma weights; applied to the stored (gamma-encoded) values, as a person judges darkness.
LUMA_R = 0.2126
LUMA_G = 0.7152
LUMA_B = 0.0722

_CHANNELS = {"RGBA": 4, "GRAYA": 2}
_DTYPES = {
    "U8": np.dtype(np.uint8),
    "U16": np.dtype(np.uint16),
    "F16": np.dtype(np.float16),
    "F32": np.dtype(np.float32),
}
_MODEL_NAMES = {
    "CMYKA": "CMYK",
    "CMYK": "CMYK",
    "LABA": "Lab",
    "LAB": "Lab",
    "XYZA": "XYZ",
    "XYZ": "XYZ",
    "YCbCrA": "YCbCr",
    "YCbCr": "YCbCr",
    "GRAY": "Grayscale without alpha",
    "A": "Alpha mask",
}
_DEPTH_NAMES = {"F64": "64 bit float", "U32": "32 bit integer"}
_CONVERT_HINT = (
    "convert the layer or image to RGB/Alpha or Grayscale/Alpha (Image > Convert Image Color Space)"
)
PAPERS = ("transparent", "white")


@dataclass(frozen=True)
class PixelFormat:
    color_model: str  # "RGBA" | "GRAYA"
    depth: str  # "U8" | "U16" | "F16" | "F32"

    def __post_init__(self) -> None:
        if self.color_model not in _CHANNELS or self.depth not in _DTYPES:
            raise _unsupported(self.color_model, self.depth)

    @classmethod
    def from_krita(cls, color_model: str, depth: str) -> PixelFormat:
        return cls(color_model, depth)

    @property
    def channels(self) -> int:
        return _CHANNELS[self.color_model]

    @property
    def dtype(self) -> np.dtype:
        return _DTYPES[self.depth]

    @property
    def bytes_per_pixel(self) -> int:
        return self.channels * self.dtype.itemsize

    @property
    def is_float(self) -> bool:
        return self.depth.startswith("F")


def _unsupported(color_model: str, depth: str) -> LineRefinerError:
    if color_model in _CHANNELS:
        what = f"{_DEPTH_NAMES.get(depth, depth)} channel depth"
    else:
        what = f"the {_MODEL_NAMES.get(color_model, color_model)} color model"
    return LineRefinerError(
        f"LineRefiner cannot read layers in {what} ({color_model} {depth})",
        hint=f"{_CONVERT_HINT}, at 8 or 16 bit integer or 16 or 32 bit float",
    )


_BAND_ROWS = 64


def _unit(channel: np.ndarray) -> np.ndarray:
    """One channel of any supported dtype as float32 in [0, 1]."""
    if channel.dtype.kind == "u":
        scale = np.float32(1.0 / np.iinfo(channel.dtype).max)
        return channel.astype(np.float32) * scale
    if channel.dtype.kind == "f":
        # HDR and NaN values would otherwise leak negative or >1 ink into every later stage.
        unit = np.nan_to_num(
            channel.astype(np.float32), copy=False, nan=0.0, posinf=1.0, neginf=0.0
        )
        return np.clip(unit, 0.0, 1.0, out=unit)
    raise LineRefinerError(
        f"Unsupported pixel type {channel.dtype}",
        hint="use an 8 or 16 bit integer or a 32 bit float image",
    )


def _ink(luminance: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    ink = np.subtract(np.float32(1.0), luminance, dtype=np.float32)
    if alpha is not None:
        ink *= alpha
    return np.clip(ink, 0.0, 1.0, out=ink)


def _luminance(r: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 - line strength: luminance, lowered by chroma so coloured lines read as ink."""
    # Channel by channel, so the peak temporary is a few (H, W) float32 arrays, not (H, W, 4).
    red, green, blue = _unit(r), _unit(g), _unit(b)
    lum = red * np.float32(LUMA_R)
    lum += green * np.float32(LUMA_G)
    lum += blue * np.float32(LUMA_B)
    high = np.maximum(np.maximum(red, green), blue)
    low = np.minimum(np.minimum(red, green, out=red), blue, out=green)
    high -= low  # chroma
    np.subtract(np.float32(1.0), high, out=high)
    return np.minimum(lum, high, out=lum)


def ink_from_pixels(
    data: bytes | np.ndarray, width: int, height: int, fmt: PixelFormat
) -> np.ndarray:
    if width < 0 or height < 0:
        raise LineRefinerError(f"Invalid layer size {width}x{height}")
    expected = width * height * fmt.bytes_per_pixel
    if len(data) != expected:
        raise LineRefinerError(
            f"Pixel data has {len(data)} bytes, expected {expected} for a {width}x{height} "
            f"{fmt.color_model} {fmt.depth} layer",
            hint="the layer changed while it was read; try again",
        )
    pixels = np.frombuffer(data, dtype=fmt.dtype).reshape(height, width, fmt.channels)
    # Krita stores integer RGB as B, G, R, A (KoBgrU8/U16Traits) but float RGB as R, G, B, A
    # (KoRgbF16/F32Traits).
    r_index, b_index = (0, 2) if fmt.is_float else (2, 0)
    out = np.empty((height, width), np.float32)
    # A band of rows at a time: the same arithmetic, but its temporaries stay in the CPU's cache
    # (a 6071x8598 page: 4.4 s whole, 0.43 s in bands of 64 rows, the same values).
    for y in range(0, height, _BAND_ROWS):
        band = pixels[y : y + _BAND_ROWS]
        if fmt.color_model == "GRAYA":
            out[y : y + _BAND_ROWS] = _ink(_unit(band[..., 0]), _unit(band[..., 1]))
        else:
            lum = _luminance(band[..., r_index], band[..., 1], band[..., b_index])
            out[y : y + _BAND_ROWS] = _ink(lum, _unit(band[..., 3]))
    return out


def _check_color(color: tuple[float, float, float]) -> tuple[float, float, float]:
    if len(color) != 3 or not all(0.0 <= float(c) <= 1.0 for c in color):
        raise ValueError(f"color must be three floats in [0, 1], got {color!r}")
    return float(color[0]), float(color[1]), float(color[2])


def _store(values: np.ndarray | float, dtype: np.dtype) -> np.ndarray | float:
    if dtype.kind == "u":
        top = np.iinfo(dtype).max
        return np.rint(np.multiply(values, top, dtype=np.float32))
    return values


def pixels_from_ink(
    ink: np.ndarray,
    fmt: PixelFormat,
    color: tuple[float, float, float] = (0, 0, 0),
    paper: str = "transparent",
) -> bytes:
    if ink.ndim != 2:
        raise ValueError(f"ink must be (H, W), got shape {ink.shape}")
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {PAPERS}, got {paper!r}")
    r, g, b = _check_color(color)
    coverage = np.clip(ink.astype(np.float32, copy=False), 0.0, 1.0)
    if fmt.color_model == "GRAYA":
        values: tuple[float, ...] = (LUMA_R * r + LUMA_G * g + LUMA_B * b,)
        order = (0,)
    else:
        values = (r, g, b)
        # Index i of `values` goes to byte slot order[i]; see ink_from_pixels for the layouts.
        order = (0, 1, 2) if fmt.is_float else (2, 1, 0)
    out = np.empty((*coverage.shape, fmt.channels), dtype=fmt.dtype)
    alpha_slot = fmt.channels - 1
    if paper == "transparent":
        for value, slot in zip(values, order, strict=True):
            out[..., slot] = _store(value, fmt.dtype)
        out[..., alpha_slot] = _store(coverage, fmt.dtype)
    else:
        # Blend over white: paper shows through where coverage is partial, alpha stays opaque.
        paper_part = np.float32(1.0) - coverage
        for value, slot in zip(values, order, strict=True):
            out[..., slot] = _store(paper_part + coverage * np.float32(value), fmt.dtype)
        out[..., alpha_slot] = _store(1.0, fmt.dtype)
    return out.tobytes()


def ink_from_image(image: np.ndarray) -> np.ndarray:
    """Ink of an image as cv2.imread(path, cv2.IMREAD_UNCHANGED) returns it."""
    if image.ndim == 2:
        return _ink(_unit(image), None)
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4):
        raise LineRefinerError(
            f"Unsupported image shape {image.shape}",
            hint="use a grayscale, RGB or RGBA image",
        )
    channels = image.shape[2]
    if channels <= 2:
        alpha = _unit(image[..., 1]) if channels == 2 else None
        return _ink(_unit(image[..., 0]), alpha)
    # cv2 orders colour channels B, G, R[, A].
    lum = _luminance(image[..., 2], image[..., 1], image[..., 0])
    return _ink(lum, _unit(image[..., 3]) if channels == 4 else None)


def rgba_from_ink(
    ink: np.ndarray, color: tuple[float, float, float] = (1.0, 0.0, 0.0)
) -> np.ndarray:
    """(H, W, 4) uint8 BGRA for cv2.imwrite: `color` on transparent, alpha = ink."""
    if ink.ndim != 2:
        raise ValueError(f"ink must be (H, W), got shape {ink.shape}")
    r, g, b = _check_color(color)
    out = np.empty((*ink.shape, 4), dtype=np.uint8)
    for slot, value in enumerate((b, g, r)):
        out[..., slot] = round(value * 255)
    out[..., 3] = _store(np.clip(ink, 0.0, 1.0), out.dtype)
    return out


def paper_from_ink(ink: np.ndarray) -> np.ndarray:
    """(H, W) uint8 gray: black lines on white paper."""
    if ink.ndim != 2:
        raise ValueError(f"ink must be (H, W), got shape {ink.shape}")
    paper = np.float32(1.0) - np.clip(ink.astype(np.float32, copy=False), 0.0, 1.0)
    return np.rint(paper * np.float32(255)).astype(np.uint8)


def as_ink(ink: np.ndarray) -> np.ndarray:
    """Validate an ink map handed to a pipeline: 2-D, non-empty, float32 in [0, 1].

    An ink map that already is one is returned as it is, not copied (a page is 200 MB), so
    the pipelines only read what this returns.
    """
    if ink.ndim != 2 or ink.size == 0:
        raise LineRefinerError(f"Expected a non-empty 2-D ink map, got shape {ink.shape}.")
    if ink.dtype == np.float32 and float(ink.min()) >= 0.0 and float(ink.max()) <= 1.0:
        return ink
    return np.clip(ink.astype(np.float32, copy=False), 0.0, 1.0)


def darkest_ink_percent(ink: np.ndarray) -> int:
    """The darkest ink in the map as a whole percentage, rounded down so that a layer whose
    darkest ink falls just short of a threshold never reads as reaching it."""
    if ink.size == 0:
        return 0
    darkest = float(np.nanmax(ink))
    return int(np.floor(np.clip(darkest, 0.0, 1.0) * 100 + 1e-6))


def no_lines_message(ink: np.ndarray) -> str:
    """What to tell the user when nothing in `ink` reads as a line."""
    return f"no lines found: the darkest ink is {darkest_ink_percent(ink)}%"
