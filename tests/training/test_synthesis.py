from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from training.common import sources
from training.gaps import make_data
from training.gaps.dataset import (
    augment,
    iterate_batches,
    load_split,
    pooled_train,
    sampling_chances,
)
from training.gaps.degrade import Degraded, DegradeParams, degrade

HAS_OPENCLIPART = sources.OPENCLIPART_DIR.is_dir()
HAS_HERSHEY = sources.HERSHEY_DIR.is_dir()

# futural.jhf's "A" and "#" glyphs, and a glyph wrapped over two lines as in the longer fonts.
JHF_SAMPLE = (
    "12345  9MWRFRT RRYQZR[SZRY\n"
    "12345 12H]SBLb RYBRb RLOZO RKUYU\n"
    "12345 12H]SBLb RYBRb RLOZ\nO RKUYU\n"
)


def procedural_crops(n: int, size: int = 192, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    while len(out) < n:
        ink = sources.procedural_drawing((size, size), rng)
        if ink.mean() > 0.03:
            out.append(ink)
    return out


def paper_regions(ink: np.ndarray) -> int:
    return int(cv2.connectedComponents((ink < 0.5).astype(np.uint8), connectivity=4)[0])


# --- Hershey -----------------------------------------------------------------------------------


def test_parse_jhf_reads_pen_up_and_wrapped_glyphs() -> None:
    glyphs = sources.parse_jhf(JHF_SAMPLE)
    assert len(glyphs) == 3
    exclaim, hash_, wrapped = glyphs
    assert (exclaim.left, exclaim.right) == (-5, 5)
    assert len(exclaim.strokes) == 2  # the bar and the dot
    assert len(hash_.strokes) == 4
    assert [s.tolist() for s in wrapped.strokes] == [s.tolist() for s in hash_.strokes]
    assert hash_.strokes[0].tolist() == [[1, -16], [-6, 16]]


@pytest.mark.skipif(not HAS_HERSHEY, reason="hershey-fonts-data not installed")
def test_hershey_fonts_have_sane_bounds() -> None:
    for font in ("futural", "timesr", "gothgbt"):
        glyphs = sources.load_hershey_font(font)
        assert len(glyphs) > 80
        for g in glyphs:
            assert -40 < g.left <= 0 <= g.right < 40
            pts = np.concatenate(g.strokes)
            assert np.abs(pts).max() <= 50
            # Glyph ink stays (nearly) within its advance box horizontally.
            assert pts[:, 0].min() >= g.left - 3 and pts[:, 0].max() <= g.right + 3


@pytest.mark.skipif(not HAS_HERSHEY, reason="hershey-fonts-data not installed")
def test_hershey_page_is_ink_with_some_coverage() -> None:
    page = sources.hershey_page("futural", (256, 256), np.random.default_rng(1))
    assert page.dtype == np.float32 and page.shape == (256, 256)
    assert page.min() >= 0.0 and page.max() <= 1.0
    assert 0.01 < page.mean() < 0.4


# --- Sources and splits ------------------------------------------------------------------------


def test_procedural_is_reproducible_and_in_range() -> None:
    a = sources.procedural_drawing((128, 160), np.random.default_rng(5))
    b = sources.procedural_drawing((128, 160), np.random.default_rng(5))
    c = sources.procedural_drawing((128, 160), np.random.default_rng(6))
    assert a.shape == (128, 160) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= 0.0 and a.max() <= 1.0


@pytest.mark.parametrize("width", [1.0, 2.0, 3.5])
def test_drawn_stroke_width_is_measured_back(width: float) -> None:
    line = [np.array([[10, 20], [150, 90]], np.float32)]
    ink = sources.polylines_ink((128, 160), line, sources.StrokeStyle(width, True))
    assert abs(sources.mean_stroke_width(ink) - width) < 0.5


def test_split_rule_is_stable_and_proportional() -> None:
    keys = [f"openclipart:dir/file_{i}.svg" for i in range(4000)]
    first = [sources.split_of(k) for k in keys]
    assert first == [sources.split_of(k) for k in keys]
    share = {s: first.count(s) / len(keys) for s in sources.SPLITS}
    assert abs(share["train"] - 0.85) < 0.03
    assert abs(share["val"] - 0.05) < 0.02
    assert abs(share["test"] - 0.10) < 0.02


def test_hershey_font_splits_are_disjoint_and_cover_all() -> None:
    fonts = [f"font{i}" for i in range(32)]
    splits = sources.hershey_font_splits(fonts)
    assert set(splits) == set(fonts)
    assert {s for s in splits.values()} == set(sources.SPLITS)
    assert splits == sources.hershey_font_splits(list(reversed(fonts)))


def test_procedural_seed_ranges_do_not_overlap_for_any_master_seed() -> None:
    plans = make_data.default_plans(10, 10, 10)
    seen: dict[str, set[str]] = {}
    for plan in plans:
        jobs = make_data.candidate_jobs(plan, "procedural", seed=3)
        seen[plan.name] = {next(jobs).source for _ in range(2000)}
    assert not seen["train"] & seen["val"]
    assert not seen["train"] & seen["test"]
    assert not seen["val"] & seen["test"]


@pytest.mark.skipif(not HAS_OPENCLIPART, reason="openclipart-svg not installed")
def test_openclipart_jobs_stay_in_their_split() -> None:
    files = sources.openclipart_files()
    by_split = {s: {f for f in files if sources.openclipart_split(f) == s} for s in sources.SPLITS}
    assert sum(len(v) for v in by_split.values()) == len(files)
    assert all(len(v) > 100 for v in by_split.values())
    for plan in make_data.default_plans(10, 10, 10):
        jobs = make_data.candidate_jobs(plan, "openclipart", seed=0)
        for _ in range(50):
            assert next(jobs).source in by_split[plan.name]


@pytest.mark.skipif(not HAS_OPENCLIPART, reason="openclipart-svg not installed")
def test_openclipart_renders_strokes_and_regions() -> None:
    rng = np.random.default_rng(0)
    path = "shapes/star_double_tom_webb_.svg"
    if not (sources.OPENCLIPART_DIR / path).exists():
        pytest.skip("sample drawing missing")
    strokes = sources.openclipart_strokes(path, rng)
    regions = sources.openclipart_regions(path, rng)
    assert strokes is not None and regions is not None
    for ink in (strokes, regions):
        assert ink.dtype == np.float32 and ink.min() >= 0.0 and ink.max() <= 1.0
        assert 512 <= max(ink.shape) <= 960
        assert 0.004 < ink.mean() < 0.3
    assert 0.7 <= sources.mean_stroke_width(strokes) <= 4.5


# --- Degradation -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def degraded() -> list[tuple[np.ndarray, Degraded]]:
    rng = np.random.default_rng(11)
    return [(c, degrade(c, rng)) for c in procedural_crops(12)]


def test_target_is_the_clean_drawing_without_specks(
        degraded: list[tuple[np.ndarray, Degraded]]) -> None:
    for clean, d in degraded:
        np.testing.assert_array_equal(d.target, clean)
    # Specks only ever add ink where the clean drawing had none or less.
    added = sum(int(((d.ink - d.target) > 0.05).sum()) for _, d in degraded)
    assert added > 0


def test_no_ink_where_gaps_were_cut(degraded: list[tuple[np.ndarray, Degraded]]) -> None:
    for _, d in degraded:
        cut = d.gap_labels > 0
        assert cut.any()
        assert d.ink[cut].max() == 0.0
        assert d.target[cut].min() > 0.0  # a gap removes ink, it never labels paper
        # Outside the gaps the input is the target plus specks, never less.
        assert (d.ink[~cut] >= d.target[~cut] - 1e-6).all()


def test_every_gap_label_is_used_and_lengths_in_range(
        degraded: list[tuple[np.ndarray, Degraded]]) -> None:
    lengths = []
    for _, d in degraded:
        g = len(d.gap_lengths)
        assert 1 <= g <= 8
        assert set(np.unique(d.gap_labels)) == set(range(g + 1))
        assert ((d.gap_lengths >= 1.0) & (d.gap_lengths <= 16.0)).all()
        lengths.extend(d.gap_lengths.tolist())
    # Roughly uniform over 1-16: both ends are represented.
    assert min(lengths) < 4 and max(lengths) > 12


def test_most_gaps_make_a_fill_leak(degraded: list[tuple[np.ndarray, Degraded]]) -> None:
    """Measured independently of the degrader's own flags: restoring one gap's pixels must
    split a paper region again."""
    leaks, total, agree = 0, 0, 0
    for _, d in degraded:
        base = paper_regions(d.ink)
        for k in range(1, len(d.gap_lengths) + 1):
            restored = d.ink.copy()
            mask = d.gap_labels == k
            restored[mask] = d.target[mask]
            leak = paper_regions(restored) > base
            leaks += leak
            total += 1
            agree += leak == bool(d.gap_merges[k - 1])
    assert total > 30
    assert leaks / total >= 0.6
    # The recorded flags were taken with the gaps cut in order, so a few may differ.
    assert agree / total >= 0.8


def test_cut_spans_the_whole_stroke_width() -> None:
    ink = np.zeros((96, 96), np.float32)
    cv2.rectangle(ink, (20, 20), (75, 75), 1.0, 3)
    d = degrade(ink, np.random.default_rng(2), DegradeParams(gaps_per_192=(4, 4),
                                                            merge_share=1.0, specks_per_192=0))
    # One closed square (inside, outside; label 0 counts the ink): a cut through the full width
    # joins the two, and once joined no other cut can merge, so exactly one gap is kept.
    assert paper_regions(d.target) == 3
    assert paper_regions(d.ink) == 2
    assert len(d.gap_lengths) == 1 and bool(d.gap_merges[0])


def test_degrade_is_deterministic_for_a_seed() -> None:
    clean = procedural_crops(1, seed=4)[0]
    a = degrade(clean, np.random.default_rng(9))
    b = degrade(clean, np.random.default_rng(9))
    c = degrade(clean, np.random.default_rng(10))
    np.testing.assert_array_equal(a.ink, b.ink)
    np.testing.assert_array_equal(a.gap_labels, b.gap_labels)
    np.testing.assert_array_equal(a.gap_lengths, b.gap_lengths)
    assert not np.array_equal(a.ink, c.ink)


def test_larger_crops_get_more_gaps() -> None:
    rng = np.random.default_rng(3)
    small = [len(degrade(c, rng).gap_lengths) for c in procedural_crops(4, 192, seed=1)]
    large = [len(degrade(c, rng).gap_lengths) for c in procedural_crops(2, 384, seed=1)]
    assert np.mean(large) > 1.5 * np.mean(small)


# --- Shards ------------------------------------------------------------------------------------


def test_job_output_shards_round_trip_and_are_byte_stable(tmp_path: Path) -> None:
    plan = make_data.default_plans(10, 10, 10)[0]
    jobs = make_data.candidate_jobs(plan, "procedural", seed=0)
    samples = [s for _ in range(6) for s in make_data.run_job(next(jobs))]
    assert len(samples) >= 4
    arrays = make_data.shard_arrays(samples, g=8)
    for run in ("a", "b"):
        (tmp_path / run / "train").mkdir(parents=True)
        make_data.write_npz(tmp_path / run / "train" / "shard_0000.npz", arrays)
    blob_a = (tmp_path / "a" / "train" / "shard_0000.npz").read_bytes()
    assert blob_a == (tmp_path / "b" / "train" / "shard_0000.npz").read_bytes()

    data = load_split(tmp_path / "a", "train")
    n = len(samples)
    assert data["ink"].shape == (n, 192, 192) and data["ink"].dtype == np.uint8
    assert data["gap_lengths"].shape == (n, 8) and data["gap_lengths"].dtype == np.float32
    assert data["source"][0].startswith("procedural:")
    for i, s in enumerate(samples):
        g = int(data["gap_labels"][i].max())
        assert g == len(s.lengths)
        assert (data["gap_lengths"][i, :g] > 0).all() and (data["gap_lengths"][i, g:] == 0).all()
        assert (data["ink"][i][data["gap_labels"][i] > 0] == 0).all()


def test_augmented_batches_are_seeded_and_consistent() -> None:
    rng = np.random.default_rng(0)
    n = 10
    target = (rng.random((n, 16, 16)) > 0.7).astype(np.uint8) * 255
    labels = np.zeros((n, 16, 16), np.uint8)
    labels[:, 2, 3] = 1
    ink = target.copy()
    ink[labels > 0] = 0
    data = {"ink": ink, "target": target, "gap_labels": labels}
    a = list(iterate_batches(data, 4, seed=1, epochs=2))
    b = list(iterate_batches(data, 4, seed=1, epochs=2))
    assert len(a) == 4
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.ink, y.ink)
        # The same transform hit every map: the label pixel still has no ink in the input.
        assert (x.ink[x.gap_labels > 0] == 0).all()
        assert x.gap_labels.sum() == 4
    moved = any(not np.array_equal(x.gap_labels[i], labels[0]) for x in a for i in range(4))
    assert moved
    rotated = augment((labels[0],), 1, True)[0]
    assert rotated.sum() == 1 and rotated[2, 3] == 0


def test_short_bias_reaches_the_jobs_and_shortens_gaps() -> None:
    plan = make_data.default_plans(10, 10, 10)[0]

    def lengths(params: DegradeParams) -> np.ndarray:
        jobs = make_data.candidate_jobs(plan, "procedural", seed=0, params=params)
        samples = [s for _ in range(8) for s in make_data.run_job(next(jobs))]
        return np.concatenate([s.lengths for s in samples])

    default = lengths(DegradeParams())
    short = lengths(DegradeParams(short_bias=4.0))
    assert len(default) > 20 and len(short) > 20
    assert np.median(short) < 0.7 * np.median(default)


def test_make_data_writes_only_the_splits_asked_for(tmp_path: Path) -> None:
    out = tmp_path / "supplement"
    code = make_data.main(["--out", str(out), "--splits", "train", "--train", "12", "--val", "4",
                           "--test", "4", "--workers", "0", "--short-bias", "3"])
    assert code == 0
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["train"]
    assert len(load_split(out, "train")["ink"]) == 12
    index = (out / "index.json").read_text()
    assert '"short_bias": 3.0' in index and '"val"' not in index
    with pytest.raises(SystemExit):
        make_data.main(["--out", str(out), "--splits", "training"])


def test_pooled_train_concatenates_supplements_with_padded_lengths(tmp_path: Path) -> None:
    plan = make_data.default_plans(10, 10, 10)[0]
    jobs = make_data.candidate_jobs(plan, "procedural", seed=0)
    samples = [s for _ in range(4) for s in make_data.run_job(next(jobs))]
    for name, g in (("a", 8), ("b", 12)):
        (tmp_path / name / "train").mkdir(parents=True)
        make_data.write_npz(tmp_path / name / "train" / "shard_0000.npz",
                            make_data.shard_arrays(samples, g=g))
    pooled = pooled_train([tmp_path / "a", tmp_path / "b"])
    n = len(samples)
    assert pooled["ink"].shape == (2 * n, 192, 192)
    assert pooled["gap_lengths"].shape == (2 * n, 12)
    np.testing.assert_array_equal(pooled["gap_lengths"][:n, 8:], 0)
    np.testing.assert_array_equal(pooled["gap_lengths"][:n, :8], pooled["gap_lengths"][n:, :8])
    assert pooled["kind"].tolist() == ["procedural"] * (2 * n)


def test_sampling_chances_weigh_kinds_and_reject_unknown_ones() -> None:
    kinds = np.array(["hershey", "procedural", "procedural", "openclipart-strokes"])
    assert sampling_chances(kinds, []) is None
    chance = sampling_chances(kinds, ["hershey=2", "procedural=0.5"])
    assert chance is not None
    np.testing.assert_allclose(chance, np.array([2.0, 0.5, 0.5, 1.0]) / 4.0)
    rng = np.random.default_rng(0)
    drawn = kinds[rng.choice(len(kinds), 20000, p=chance)]
    assert abs(np.mean(drawn == "hershey") - 0.5) < 0.02
    for bad in (["hersey=2"], ["hershey"]):
        with pytest.raises(SystemExit, match="KIND=W"):
            sampling_chances(kinds, bad)


def test_openclipart_ids_are_the_same_from_the_folder_above_svg(tmp_path: Path) -> None:
    # LINEREFINER_OPENCLIPART_DIR set to share/openclipart instead of share/openclipart/svg
    # must not move every drawing to another split.
    drawing = tmp_path / "openclipart" / "svg" / "animals" / "cat.svg"
    drawing.parent.mkdir(parents=True)
    drawing.write_text("<svg/>")
    above, svg = tmp_path / "openclipart", tmp_path / "openclipart" / "svg"
    assert sources.openclipart_root(above) == svg
    assert sources.openclipart_root(svg) == svg
    ids = sources.openclipart_files(sources.openclipart_root(above))
    assert ids == sources.openclipart_files(svg) == ["animals/cat.svg"]
