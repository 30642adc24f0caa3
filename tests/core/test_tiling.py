from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from krita_linerefiner.core.errors import CancelledError
from krita_linerefiner.core.tiling import (
    TileSpec,
    axis_weights,
    fit_to_image,
    run_tiled,
    tile_starts,
)

TOLERANCE = 1 / 255


def linear_filter(kernel: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    def apply(image: np.ndarray) -> np.ndarray:
        return cv2.filter2D(
            image.astype(np.float32), -1, kernel, borderType=cv2.BORDER_CONSTANT
        ).reshape(image.shape)

    return apply


def max_filter(radius: int) -> Callable[[np.ndarray], np.ndarray]:
    element = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)

    def apply(image: np.ndarray) -> np.ndarray:
        dilated = cv2.dilate(
            image.astype(np.float32), element, borderType=cv2.BORDER_CONSTANT, borderValue=0
        )
        return dilated.reshape(image.shape)

    return apply


@st.composite
def specs(draw: st.DrawFn) -> TileSpec:
    overlap = draw(st.sampled_from([0, 2, 4, 8, 12, 16]))
    size = draw(st.integers(overlap + 1, overlap + 40))
    multiple = draw(st.sampled_from([1, 8, 16]))
    return TileSpec(size=size, overlap=overlap, multiple=multiple)


@pytest.mark.parametrize(
    ("size", "overlap", "multiple"), [(8, 8, 1), (8, 10, 1), (8, 3, 1), (8, -2, 1), (8, 2, 0)]
)
def test_tile_spec_rejects_bad_values(size: int, overlap: int, multiple: int) -> None:
    with pytest.raises(ValueError):
        TileSpec(size=size, overlap=overlap, multiple=multiple)


@pytest.mark.parametrize(
    ("length", "size", "overlap", "starts"),
    [
        (1, 8, 4, [0]),
        (8, 8, 4, [0]),
        (9, 8, 4, [0, 1]),
        (12, 8, 4, [0, 4]),
        (13, 8, 4, [0, 4, 5]),
        (20, 8, 0, [0, 8, 12]),
        (24, 8, 0, [0, 8, 16]),
    ],
)
def test_tile_starts(length: int, size: int, overlap: int, starts: list[int]) -> None:
    assert tile_starts(length, TileSpec(size=size, overlap=overlap)) == starts


@given(st.integers(1, 200), specs())
def test_axis_weights_partition_unity_inside_trusted_interior(length: int, spec: TileSpec) -> None:
    tiles = axis_weights(length, spec)
    total = np.zeros(length)
    for i, (start, end, weight) in enumerate(tiles):
        assert end - start == min(spec.size, length)
        assert ((weight >= 0) & (weight <= 1)).all()
        # Nothing is taken from the `context` pixels next to an interior edge.
        if i > 0:
            assert not weight[: spec.context].any()
        if i < len(tiles) - 1:
            assert not weight[len(weight) - spec.context :].any()
        total[start:end] += weight
    np.testing.assert_allclose(total, 1.0, atol=1e-6)
    assert tiles[0][0] == 0 and tiles[-1][1] == length


def test_shared_strip_is_a_linear_ramp() -> None:
    (_, _, left), (start, _, right) = axis_weights(14, TileSpec(size=8, overlap=2))
    # overlap 2, context 0: both shared pixels blended, ramps mirrored.
    assert start == 6
    np.testing.assert_allclose(left[6:], [2 / 3, 1 / 3], atol=1e-6)
    np.testing.assert_allclose(right[:2], [1 / 3, 2 / 3], atol=1e-6)
    (_, _, left), (_, _, right) = axis_weights(24, TileSpec(size=16, overlap=8))
    # overlap 8, context 2: 2 pixels kept whole by each tile, 4 ramped.
    np.testing.assert_allclose(left[8:], [1, 1, 0.8, 0.6, 0.4, 0.2, 0, 0], atol=1e-6)
    np.testing.assert_allclose(right[:8], [0, 0, 0.2, 0.4, 0.6, 0.8, 1, 1], atol=1e-6)


shapes = st.one_of(
    st.tuples(st.integers(1, 70), st.integers(1, 70)),
    st.tuples(st.just(1), st.integers(1, 200)),
    st.tuples(st.integers(1, 200), st.just(1)),
)


@given(shapes, specs(), st.data())
def test_tiled_linear_filter_matches_whole_image(
    shape: tuple[int, int], spec: TileSpec, data: st.DataObject
) -> None:
    radius = data.draw(st.integers(0, spec.context), label="radius")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    image = rng.random(shape, dtype=np.float32)
    kernel = rng.random((2 * radius + 1, 2 * radius + 1), dtype=np.float32)
    kernel /= kernel.sum()
    fn = linear_filter(kernel)
    tiled = run_tiled(image, fn, spec)
    assert tiled.dtype == np.float32 and tiled.shape == shape
    np.testing.assert_allclose(tiled, fn(image), atol=TOLERANCE)


@given(shapes, specs(), st.integers(0, 2**32 - 1), st.data())
def test_tiled_max_filter_matches_whole_image(
    shape: tuple[int, int], spec: TileSpec, seed: int, data: st.DataObject
) -> None:
    radius = data.draw(st.integers(0, spec.context), label="radius")
    image = (np.random.default_rng(seed).random(shape) > 0.9).astype(np.float32)
    fn = max_filter(radius)
    np.testing.assert_allclose(run_tiled(image, fn, spec), fn(image), atol=TOLERANCE)


@given(st.integers(1, 40), st.integers(1, 40), specs(), st.integers(1, 3))
def test_channels_in_and_out(height: int, width: int, spec: TileSpec, out_channels: int) -> None:
    image = np.random.default_rng(height * width).random((height, width, 3), dtype=np.float32)

    def mix(tile: np.ndarray) -> np.ndarray:
        planes = [tile[..., k % 3] * (k + 1) for k in range(out_channels)]
        return np.stack(planes, axis=-1) if out_channels > 1 else planes[0]

    tiled = run_tiled(image, mix, spec)
    np.testing.assert_allclose(tiled, mix(image), atol=1e-5)


def test_tiles_are_padded_to_the_multiple_with_paper() -> None:
    seen: list[tuple[int, ...]] = []
    image = np.ones((21, 35), np.float32)

    def record(tile: np.ndarray) -> np.ndarray:
        seen.append(tile.shape)
        assert tile.flags.c_contiguous
        # Padding is paper (0) on the bottom and right only.
        assert tile[0, 0] == 1
        return tile.copy()

    result = run_tiled(image, record, TileSpec(size=24, overlap=8, multiple=16))
    assert seen and all(h % 16 == 0 and w % 16 == 0 for h, w in seen)
    np.testing.assert_allclose(result, image, atol=1e-6)


def test_tiles_larger_than_the_image_give_one_call() -> None:
    calls: list[tuple[int, ...]] = []

    def double(tile: np.ndarray) -> np.ndarray:
        calls.append(tile.shape)
        return tile * 2

    image = np.arange(12, dtype=np.float32).reshape(3, 4)
    result = run_tiled(image, double, TileSpec(64, 8))
    assert calls == [(3, 4)]
    np.testing.assert_allclose(result, image * 2)


def test_receptive_radius_beyond_context_is_detected() -> None:
    # The property tests above would pass for any blending if the comparison were too loose;
    # a function that sees past the discarded context must show a seam.
    spec = TileSpec(size=32, overlap=8)
    image = np.random.default_rng(0).random((96, 96), dtype=np.float32)
    radius = spec.overlap
    kernel = np.ones((2 * radius + 1, 2 * radius + 1), np.float32) / (2 * radius + 1) ** 2
    fn = linear_filter(kernel)
    difference = np.abs(run_tiled(image, fn, spec) - fn(image)).max()
    assert difference > 5 * TOLERANCE


def test_progress_is_monotone_and_ends_at_one() -> None:
    reported: list[float] = []
    run_tiled(np.zeros((50, 70)), lambda t: t, TileSpec(16, 4), progress=reported.append)
    rows, columns = len(tile_starts(50, TileSpec(16, 4))), len(tile_starts(70, TileSpec(16, 4)))
    assert len(reported) == rows * columns > 1
    assert all(a < b for a, b in zip(reported, reported[1:], strict=False))
    assert reported[-1] == 1.0


def test_cancel_raises_and_stops_calling_fn() -> None:
    calls = 0

    def count(tile: np.ndarray) -> np.ndarray:
        nonlocal calls
        calls += 1
        return tile

    with pytest.raises(CancelledError):
        run_tiled(np.zeros((64, 64)), count, TileSpec(16, 4), cancel=lambda: calls >= 3)
    assert calls == 3
    with pytest.raises(CancelledError):
        run_tiled(np.zeros((64, 64)), count, TileSpec(16, 4), cancel=lambda: True)
    assert calls == 3


def test_empty_image() -> None:
    reported: list[float] = []
    result = run_tiled(np.zeros((0, 5)), lambda t: t, TileSpec(16, 4), progress=reported.append)
    assert result.shape == (0, 5)
    assert reported == [1.0]


def test_wrong_output_shape_is_an_error() -> None:
    with pytest.raises(ValueError, match="shape"):
        run_tiled(np.zeros((20, 20)), lambda t: t[:-1], TileSpec(16, 4))


def peak_extra_bytes(side: int, spec: TileSpec) -> int:
    image = np.random.default_rng(0).random((side, side), dtype=np.float32)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = run_tiled(image, lambda tile: tile * 0.5, spec)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - result.nbytes


def test_memory_grows_with_the_tile_not_the_image() -> None:
    spec = TileSpec(size=256, overlap=32)
    tile_bytes = spec.size * spec.size * 4
    large = peak_extra_bytes(2048, spec)
    small = peak_extra_bytes(1024, spec)
    assert large < 40 * tile_bytes
    # An image-sized temporary would add at least 2048**2 * 4 bytes = 64 tiles.
    assert abs(large - small) < 4 * tile_bytes


@settings(max_examples=60, deadline=None)
@given(
    height=st.integers(1, 9000),
    width=st.integers(1, 9000),
    size=st.sampled_from([256, 512, 1024, 2048]),
    overlap=st.sampled_from([0, 32, 64, 192]),
    multiple=st.sampled_from([1, 8, 16]),
)
def test_fit_to_image_never_needs_more_tiles(
    height: int, width: int, size: int, overlap: int, multiple: int
) -> None:
    spec = TileSpec(size=size, overlap=overlap, multiple=multiple)
    fitted = fit_to_image(spec, (height, width))
    assert fitted.size <= spec.size
    assert fitted.size % multiple == 0
    for length in (height, width):
        assert len(tile_starts(length, fitted)) <= len(tile_starts(length, spec))


def test_fit_to_image_shrinks_the_wasted_overlap() -> None:
    spec = TileSpec(size=2048, overlap=192, multiple=16)
    fitted = fit_to_image(spec, (4096, 4096))
    assert fitted.size < spec.size
    assert len(tile_starts(4096, fitted)) == 3
    assert fit_to_image(spec, (1080, 1920)).size == 1920
