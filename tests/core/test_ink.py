from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from krita_linerefiner.core.errors import LineRefinerError
from krita_linerefiner.core.ink import (
    LUMA_B,
    LUMA_G,
    LUMA_R,
    PixelFormat,
    ink_from_image,
    ink_from_pixels,
    paper_from_ink,
    pixels_from_ink,
    rgba_from_ink,
)

# Worst round-trip error per depth: half a quantisation step for integers, float16 has an 11 bit
# mantissa (relative error 2**-11 near 1).
TOLERANCE = {"U8": 0.5 / 255 + 1e-6, "U16": 0.5 / 65535 + 1e-6, "F16": 2**-10, "F32": 1e-6}
FORMATS = [PixelFormat(m, d) for m in ("RGBA", "GRAYA") for d in ("U8", "U16", "F16", "F32")]
FORMAT_IDS = [f"{f.color_model}-{f.depth}" for f in FORMATS]


def random_ink(height: int, width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ink = rng.random((height, width), dtype=np.float32)
    ink[0, 0] = 0.0
    ink[-1, -1] = 1.0
    return ink


def raw(values: list[list[float]], fmt: PixelFormat) -> bytes:
    """One row of pixels given as channel values in byte order, scaled to the format's range."""
    array = np.asarray(values, dtype=np.float64)
    if not fmt.is_float:
        array = np.rint(array * np.iinfo(fmt.dtype).max)
    return array.astype(fmt.dtype).tobytes()


@pytest.mark.parametrize(
    ("model", "depth", "channels", "bytes_per_pixel"),
    [
        ("RGBA", "U8", 4, 4),
        ("RGBA", "U16", 4, 8),
        ("RGBA", "F16", 4, 8),
        ("RGBA", "F32", 4, 16),
        ("GRAYA", "U8", 2, 2),
        ("GRAYA", "U16", 2, 4),
        ("GRAYA", "F16", 2, 4),
        ("GRAYA", "F32", 2, 8),
    ],
)
def test_format_properties(model: str, depth: str, channels: int, bytes_per_pixel: int) -> None:
    fmt = PixelFormat.from_krita(model, depth)
    assert fmt.channels == channels
    assert fmt.bytes_per_pixel == bytes_per_pixel
    assert fmt.dtype.itemsize * channels == bytes_per_pixel


@pytest.mark.parametrize(
    ("model", "depth", "named"),
    [
        ("CMYKA", "U8", "CMYK"),
        ("LABA", "U16", "Lab"),
        ("XYZA", "F32", "XYZ"),
        ("YCbCrA", "U8", "YCbCr"),
        ("GRAY", "U8", "without alpha"),
        ("RGBA", "F64", "64 bit float"),
        ("GRAYA", "F64", "64 bit float"),
    ],
)
def test_unsupported_formats_tell_how_to_convert(model: str, depth: str, named: str) -> None:
    with pytest.raises(LineRefinerError) as caught:
        PixelFormat.from_krita(model, depth)
    assert named in caught.value.message
    assert caught.value.hint is not None
    assert "Convert Image Color Space" in caught.value.hint
    assert "RGB" in caught.value.hint and "Grayscale" in caught.value.hint
    assert caught.value.hint in str(caught.value)


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
@pytest.mark.parametrize("paper", ["transparent", "white"])
def test_round_trip_black_lines(fmt: PixelFormat, paper: str) -> None:
    ink = random_ink(7, 5)
    data = pixels_from_ink(ink, fmt, color=(0, 0, 0), paper=paper)
    assert len(data) == 7 * 5 * fmt.bytes_per_pixel
    back = ink_from_pixels(data, 5, 7, fmt)
    assert back.shape == (7, 5)
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, ink, atol=TOLERANCE[fmt.depth])


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
@pytest.mark.parametrize("paper", ["transparent", "white"])
@pytest.mark.parametrize("color", [(1.0, 0.0, 0.0), (0.2, 0.6, 0.9), (0.5, 0.5, 0.5)])
def test_round_trip_coloured_lines_scale_by_strength(
    fmt: PixelFormat, paper: str, color: tuple[float, float, float]
) -> None:
    ink = random_ink(4, 6, seed=1)
    darkness = 1.0 - (LUMA_R * color[0] + LUMA_G * color[1] + LUMA_B * color[2])
    if fmt.color_model == "RGBA":
        # Colour reads as ink too: a saturated line is a line however bright it is.
        darkness = max(darkness, max(color) - min(color))
    back = ink_from_pixels(pixels_from_ink(ink, fmt, color, paper), 6, 4, fmt)
    # Colour channels are stored rounded too, so allow a second quantisation step.
    np.testing.assert_allclose(back, ink * darkness, atol=2 * TOLERANCE[fmt.depth])


@given(
    st.integers(1, 9),
    st.integers(1, 9),
    st.sampled_from(FORMATS),
    st.sampled_from(["transparent", "white"]),
    st.integers(0, 2**32 - 1),
)
def test_round_trip_any_size(
    height: int, width: int, fmt: PixelFormat, paper: str, seed: int
) -> None:
    ink = np.random.default_rng(seed).random((height, width), dtype=np.float32)
    back = ink_from_pixels(pixels_from_ink(ink, fmt, paper=paper), width, height, fmt)
    np.testing.assert_allclose(back, ink, atol=TOLERANCE[fmt.depth])


@pytest.mark.parametrize("depth", ["U8", "U16"])
def test_integer_rgba_is_bgra(depth: str) -> None:
    fmt = PixelFormat("RGBA", depth)
    # Bytes B, G, R, A: a dark red, then the same dark blue; both opaque. Dark and nearly grey,
    # so luminance (which tells red from blue) decides, not chroma.
    data = raw([[0.2, 0.2, 0.4, 1], [0.4, 0.2, 0.2, 1]], fmt)
    ink = ink_from_pixels(data, 2, 1, fmt)
    np.testing.assert_allclose(ink[0], [dark_tint_ink(0.4, 0.2, 0.2), dark_tint_ink(0.2, 0.2, 0.4)],
                               atol=2 * TOLERANCE[depth])
    assert ink[0, 0] != pytest.approx(ink[0, 1], abs=0.01)


@pytest.mark.parametrize("depth", ["F16", "F32"])
def test_float_rgba_is_rgba(depth: str) -> None:
    fmt = PixelFormat("RGBA", depth)
    data = raw([[0.4, 0.2, 0.2, 1], [0.2, 0.2, 0.4, 1]], fmt)
    ink = ink_from_pixels(data, 2, 1, fmt)
    np.testing.assert_allclose(ink[0], [dark_tint_ink(0.4, 0.2, 0.2), dark_tint_ink(0.2, 0.2, 0.4)],
                               atol=2e-3)


def dark_tint_ink(r: float, g: float, b: float) -> float:
    return max(1 - (LUMA_R * r + LUMA_G * g + LUMA_B * b), max(r, g, b) - min(r, g, b))


@pytest.mark.parametrize("depth", ["U8", "U16", "F16", "F32"])
def test_written_red_lands_in_the_red_slot(depth: str) -> None:
    fmt = PixelFormat("RGBA", depth)
    pixels = np.frombuffer(pixels_from_ink(np.ones((1, 1)), fmt, (1, 0, 0)), dtype=fmt.dtype)
    red_slot = 0 if fmt.is_float else 2
    top = 1.0 if fmt.is_float else np.iinfo(fmt.dtype).max
    expected = np.zeros(4)
    expected[red_slot] = top
    expected[3] = top
    np.testing.assert_array_equal(pixels.astype(np.float64), expected)


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
@pytest.mark.parametrize(
    ("color", "alpha", "expected"),
    [
        ((1.0, 1.0, 1.0), 1.0, 0.0),  # white paper
        ((0.0, 0.0, 0.0), 1.0, 1.0),  # black line
        ((0.0, 0.0, 0.0), 0.0, 0.0),  # transparent paper
        ((0.0, 0.0, 0.0), 0.5, 0.5),  # half transparent black
        ((0.5, 0.5, 0.5), 1.0, 0.5),  # grey line
        ((0.5, 0.5, 0.5), 0.5, 0.25),
    ],
)
def test_ink_rule(
    fmt: PixelFormat, color: tuple[float, float, float], alpha: float, expected: float
) -> None:
    if fmt.color_model == "GRAYA":
        values = [[color[0], alpha]]
    elif fmt.is_float:
        values = [[*color, alpha]]
    else:
        values = [[color[2], color[1], color[0], alpha]]
    ink = ink_from_pixels(raw(values, fmt), 1, 1, fmt)
    assert ink[0, 0] == pytest.approx(expected, abs=2 * TOLERANCE[fmt.depth])


@pytest.mark.parametrize("depth", ["F16", "F32"])
def test_float_values_outside_unit_range_are_clamped(depth: str) -> None:
    fmt = PixelFormat("RGBA", depth)
    # HDR white (brighter than 1), negative colour, alpha above 1, NaN.
    data = raw([[4, 4, 4, 1], [-1, -1, -1, 2], [0, 0, 0, np.nan]], fmt)
    ink = ink_from_pixels(data, 3, 1, fmt)
    np.testing.assert_allclose(ink[0], [0.0, 1.0, 0.0])
    assert ((ink >= 0) & (ink <= 1)).all()


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
@pytest.mark.parametrize("delta", [-1, 1])
def test_wrong_byte_length_is_an_error(fmt: PixelFormat, delta: int) -> None:
    data = bytes(3 * 2 * fmt.bytes_per_pixel + delta)
    with pytest.raises(LineRefinerError, match="bytes"):
        ink_from_pixels(data, 3, 2, fmt)


def test_empty_layer() -> None:
    fmt = PixelFormat("RGBA", "U8")
    assert ink_from_pixels(b"", 0, 0, fmt).shape == (0, 0)
    assert pixels_from_ink(np.zeros((0, 4), np.float32), fmt) == b""


def test_pixels_from_ink_clamps_and_validates() -> None:
    fmt = PixelFormat("GRAYA", "U8")
    data = np.frombuffer(pixels_from_ink(np.array([[-0.5, 1.5]]), fmt), dtype=np.uint8)
    np.testing.assert_array_equal(data[1::2], [0, 255])
    with pytest.raises(ValueError):
        pixels_from_ink(np.zeros((2, 2)), fmt, paper="blue")
    with pytest.raises(ValueError):
        pixels_from_ink(np.zeros((2, 2)), fmt, color=(2.0, 0.0, 0.0))
    with pytest.raises(ValueError):
        pixels_from_ink(np.zeros((2, 2, 1)), fmt)


def test_white_paper_is_opaque_and_transparent_paper_is_clear() -> None:
    fmt = PixelFormat("RGBA", "U8")
    ink = np.array([[0.0, 1.0]], dtype=np.float32)
    white = np.frombuffer(pixels_from_ink(ink, fmt, paper="white"), np.uint8).reshape(2, 4)
    clear = np.frombuffer(pixels_from_ink(ink, fmt, paper="transparent"), np.uint8).reshape(2, 4)
    np.testing.assert_array_equal(white, [[255, 255, 255, 255], [0, 0, 0, 255]])
    np.testing.assert_array_equal(clear[:, 3], [0, 255])


# Images as cv2.imread(..., IMREAD_UNCHANGED) returns them.
def image_variants(ink: np.ndarray) -> list:
    paper = 1.0 - ink
    out: list[tuple[str, np.ndarray, float]] = []
    for dtype, top, tol in ((np.uint8, 255, 0.5 / 255), (np.uint16, 65535, 0.5 / 65535)):
        gray = np.rint(paper * top).astype(dtype)
        opaque = np.full_like(gray, top)
        clear = np.rint(ink * top).astype(dtype)
        zeros = np.zeros_like(gray)
        out += [
            (f"gray-{dtype.__name__}", gray, tol),
            (f"gray1-{dtype.__name__}", gray[..., None], tol),
            (f"bgr-{dtype.__name__}", np.dstack([gray] * 3), tol),
            (f"bgra-white-{dtype.__name__}", np.dstack([gray] * 3 + [opaque]), tol),
            (f"bgra-clear-{dtype.__name__}", np.dstack([zeros] * 3 + [clear]), tol),
            (f"graya-{dtype.__name__}", np.dstack([zeros, clear]), tol),
        ]
    out.append(("gray-float32", paper.astype(np.float32), 1e-6))
    out.append(("bgra-float32", np.dstack([paper] * 3 + [np.ones_like(paper)]), 1e-6))
    return [pytest.param(image, tol, id=name) for name, image, tol in out]


@pytest.mark.parametrize(("image", "tolerance"), image_variants(random_ink(5, 4, seed=2)))
def test_ink_from_image_variants(image: np.ndarray, tolerance: float) -> None:
    ink = ink_from_image(image)
    assert ink.dtype == np.float32 and ink.shape == (5, 4)
    np.testing.assert_allclose(ink, random_ink(5, 4, seed=2), atol=tolerance + 1e-6)


def test_ink_from_image_reads_bgr_order() -> None:
    # A dark red, then the same dark blue (B, G, R order in cv2 images).
    bgr = np.array([[[51, 51, 102], [102, 51, 51]]], dtype=np.uint8)
    np.testing.assert_allclose(
        ink_from_image(bgr)[0], [dark_tint_ink(0.4, 0.2, 0.2), dark_tint_ink(0.2, 0.2, 0.4)],
        atol=1e-6,
    )


def test_ink_from_image_rejects_odd_inputs() -> None:
    with pytest.raises(LineRefinerError):
        ink_from_image(np.zeros((2, 2, 5), np.uint8))
    with pytest.raises(LineRefinerError):
        ink_from_image(np.zeros((2, 2), np.int32))


def test_written_images_read_back(tmp_path: Path) -> None:
    ink = random_ink(6, 9, seed=3)
    rgba = rgba_from_ink(ink, color=(0.0, 0.0, 0.0))
    paper = paper_from_ink(ink)
    assert rgba.shape == (6, 9, 4) and rgba.dtype == np.uint8
    assert paper.shape == (6, 9) and paper.dtype == np.uint8
    for name, image in (("rgba.png", rgba), ("paper.png", paper)):
        path = str(tmp_path / name)
        assert cv2.imwrite(path, image)
        loaded = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        assert loaded is not None
        np.testing.assert_allclose(ink_from_image(loaded), ink, atol=0.5 / 255 + 1e-6)


def test_rgba_from_ink_writes_colour_in_bgr_order() -> None:
    rgba = rgba_from_ink(np.array([[0.0, 0.5, 1.0]]), color=(1.0, 0.0, 0.0))
    np.testing.assert_array_equal(rgba[0, :, :3], [[0, 0, 255]] * 3)
    np.testing.assert_array_equal(rgba[0, :, 3], [0, 128, 255])


@pytest.mark.parametrize(
    ("bgr", "least"),
    [((255, 255, 0), 0.95), ((0, 255, 0), 0.95), ((230, 216, 173), 0.2), ((0, 165, 255), 0.95)],
    ids=["cyan", "green", "light-blue", "orange"],
)
def test_bright_coloured_lines_read_as_ink(bgr: tuple[int, int, int], least: float) -> None:
    image = np.full((3, 3, 3), 255, np.uint8)
    image[1, 1] = bgr
    ink = ink_from_image(image)
    assert ink[1, 1] >= least
    assert ink[0, 0] == 0.0


@pytest.mark.parametrize(("model", "depth"), [("RGBA", "U8"), ("RGBA", "U16"), ("RGBA", "F32"),
                                              ("GRAYA", "U8")])
def test_ink_from_pixels_is_read_in_bands_with_no_seam(model: str, depth: str) -> None:
    """A layer taller than a band (the last one short) reads as the whole image would."""
    fmt = PixelFormat(model, depth)
    rng = np.random.default_rng(7)
    height, width = 3 * 64 + 17, 29
    if fmt.is_float:
        pixels = rng.random((height, width, fmt.channels), dtype=np.float32)
    else:
        top = np.iinfo(fmt.dtype).max
        pixels = rng.integers(0, top + 1, (height, width, fmt.channels)).astype(fmt.dtype)
    ink = ink_from_pixels(pixels.tobytes(), width, height, fmt)
    if model == "GRAYA":
        whole = ink_from_image(pixels)
    else:  # the same pixels as cv2 orders them (B, G, R, A), read in one piece
        bgra = pixels[..., [2, 1, 0, 3]] if fmt.is_float else pixels
        whole = ink_from_image(bgra)
    assert ink.shape == (height, width) and ink.dtype == np.float32
    np.testing.assert_array_equal(ink, whole)
