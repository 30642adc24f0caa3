from __future__ import annotations

import numpy as np
import pytest

from benchmarks.metrics import GapScore
from benchmarks.real import BINS, closure_at_false, read_scores, write_scores
from benchmarks.real_compare import common_rate, compare, curves, main, read_off, sweep_arrays

SETTINGS = (0.2, 0.5, 0.8)
DRAWINGS: tuple[str, ...] = ("frog", "hat", "pansy", "rocket", "street")


def sweep(extra_closed: int = 0) -> dict[str, dict[str, GapScore]]:
    """A variant's sweep: per setting and drawing, false additions that grow with the setting
    (and differ by drawing) and breaks of every bin of which more are closed at higher
    settings; `extra_closed` more closed in each bin of every drawing."""
    out: dict[str, dict[str, GapScore]] = {}
    for s, setting in enumerate(SETTINGS):
        rows = {}
        for d, name in enumerate(DRAWINGS):
            closures = []
            for lo, hi in BINS:
                closed = min(10, 3 + 2 * s + d % 3 + extra_closed)
                closures += [(float(lo + k % (hi - lo + 1)), k < closed) for k in range(10)]
            rows[name] = GapScore(closures=closures, far_pixels=1 + s * (d + 1),
                                  new_pixels=100, images=1)
        out[f"ours @{setting:g}"] = rows
    return out


def pooled(rows: dict[str, GapScore], names: list[str]) -> GapScore:
    total = GapScore()
    for name in names:
        total.merge(rows[name])
    return total


def test_the_read_off_on_all_drawings_is_benchmarks_real_s() -> None:
    variant = sweep()
    arrays = sweep_arrays(variant, list(DRAWINGS))
    false, closure = curves(np.ones((1, len(DRAWINGS))), *arrays)
    got = read_off(false, closure, np.array([2.0]))[0]
    scores = [pooled(variant[f"ours @{s:g}"], list(DRAWINGS)) for s in SETTINGS]
    for b, (lo, hi) in enumerate(BINS):
        expected = closure_at_false([(100 * sc.false_addition_rate, 100 * sc.closure_rate(lo, hi))
                                     for sc in scores], 2.0)
        assert np.isfinite(expected)
        assert got[b] == pytest.approx(expected)
    # A drawing drawn twice counts twice, as if its scores were pooled twice.
    weights = np.array([[2.0, 0.0, 1.0, 0.0, 0.0]])
    twice = [pooled(variant[f"ours @{s:g}"], ["frog", "frog", "pansy"]) for s in SETTINGS]
    expected = closure_at_false([(100 * sc.false_addition_rate, 100 * sc.closure_rate(1, 8))
                                 for sc in twice], 2.0)
    assert read_off(*curves(weights, *arrays), np.array([2.0]))[0, 0] == pytest.approx(expected)


def test_draws_compare_at_the_nearest_rate_both_sweeps_reach() -> None:
    a = np.array([[0.5, 1.0, 1.5], [0.5, 1.0, 1.5], [0.5, 1.0, 1.5]])
    b = np.array([[1.0, 2.0, 3.0], [1.2, 1.4, 1.8], [1.6, 2.0, 3.0]])
    # 2% where both reach it; else the nearest both reach; nothing where they do not meet.
    rate = common_rate(np.vstack([[1.0, 2.0, 2.5], a[1:]]), b, 2.0)
    np.testing.assert_allclose(rate, [2.0, 1.5, np.nan])


def test_a_run_against_itself_differs_by_nothing_and_a_better_one_is_ahead_in_every_draw(
) -> None:
    rng = np.random.default_rng(0)
    same = compare(sweep(), sweep(), 2.0, 200, rng)
    np.testing.assert_array_equal(same["a"], same["b"])
    assert np.isfinite(same["diff"]).all() and not same["diff"].any()
    better = compare(sweep(), sweep(extra_closed=2), 2.0, 200, rng)
    assert (better["b"] > better["a"]).all()
    assert (better["diff"] > 0).all()


def test_scores_round_trip_through_json_and_the_comparison_runs_from_files(tmp_path, capsys
                                                                         ) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path, extra in ((a, 0), (b, 2)):
        per_drawing = {("black", method): rows for method, rows in sweep(extra).items()}
        write_scores(path, per_drawing, tmp_path, [0, 1], 30, 24)
    run, scores = read_scores(a)
    assert run["seeds"] == [0, 1] and run["gaps"] == 30
    assert scores["black"]["ours @0.5"]["hat"] == sweep()["ours @0.5"]["hat"]
    assert main([str(a), str(b), "--resamples", "50"]) == 0
    table = capsys.readouterr().out
    assert "| black | 1-8 |" in table and "| 100% |" in table
    assert "uncut regions kept" not in table  # runs written without it
    # Runs that cut other breaks are not compared.
    write_scores(b, {("black", m): r for m, r in sweep().items()}, tmp_path, [0], 30, 24)
    assert main([str(a), str(b)]) == 2


def test_the_uncut_regions_each_run_keeps_are_compared_per_setting(tmp_path, capsys) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path, kept in ((a, 3), (b, 4)):
        rows = sweep()
        for setting in rows.values():
            for score in setting.values():
                score.gap_free_regions_recovered, score.gap_free_regions_total = kept, 5
        write_scores(path, {("black", m): r for m, r in rows.items()}, tmp_path, [0], 30, 24)
    assert main([str(a), str(b), "--resamples", "20"]) == 0
    table = capsys.readouterr().out
    assert "| black | 0.5 | 60.0 | 80.0 | +20.0 |" in table


def test_a_second_set_of_drawings_is_pooled_with_the_first(tmp_path, capsys) -> None:
    def renamed(rows: dict[str, dict[str, GapScore]], suffix: str):
        return {m: {f"{name}{suffix}": s for name, s in r.items()} for m, r in rows.items()}

    paths = {}
    # Set 1: B is ahead on every drawing; set 2: B is behind on every drawing, by as much.
    for key, rows in (("a1", sweep()), ("b1", sweep(2)), ("a2", renamed(sweep(2), "-2")),
                      ("b2", renamed(sweep(), "-2"))):
        paths[key] = tmp_path / f"{key}.json"
        write_scores(paths[key], {("black", m): r for m, r in rows.items()},
                     tmp_path / key[1], [0], 30, 24)
    assert main([str(paths["a1"]), str(paths["b1"]), "--resamples", "50"]) == 0
    alone = capsys.readouterr().out
    assert "| 100% |" in alone
    assert main([str(paths["a1"]), str(paths["b1"]), "--pair", str(paths["a2"]),
                 str(paths["b2"]), "--resamples", "200"]) == 0
    pooled_table = capsys.readouterr().out
    rows = [line for line in pooled_table.splitlines() if line.startswith("| black |")]
    assert len(rows) == len(BINS)
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[3] == cells[4]  # A and B close as many on the pooled drawings
        assert cells[5] in ("+0.0", "-0.0")
    # A set paired with itself shares every drawing: refused.
    assert main([str(paths["a1"]), str(paths["b1"]), "--pair", str(paths["a1"]),
                 str(paths["b1"])]) == 2


def test_leaking_compares_only_the_breaks_a_fill_leaks_through(tmp_path, capsys) -> None:
    # B closes more breaks than A, but only free ones (no fill leaks through them): ahead on
    # all breaks, level on the ones that leak.
    def with_free(extra: int) -> dict[str, dict[str, GapScore]]:
        out = sweep()
        for rows in out.values():
            for score in rows.values():
                score.leaking = [True] * len(score.closures)
                for lo, _hi in BINS:
                    score.closures += [(float(lo), k < 2 + extra) for k in range(10)]
                    score.leaking += [False] * 10
        return out

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path, extra in ((a, 0), (b, 4)):
        write_scores(path, {("black", m): r for m, r in with_free(extra).items()}, tmp_path,
                     [0], 30, 24)
    diffs = {}
    for flag in ([], ["--leaking"]):
        assert main([str(a), str(b), "--resamples", "50", *flag]) == 0
        rows = [line for line in capsys.readouterr().out.splitlines()
                if line.startswith("| black |")]
        diffs[bool(flag)] = [float(line.strip("|").split("|")[5]) for line in rows]
    assert all(d > 0 for d in diffs[False])
    assert diffs[True] == [0.0] * len(BINS)
    # Runs from before the leaks were measured cannot be compared on them.
    write_scores(a, {("black", m): r for m, r in sweep().items()}, tmp_path, [0], 30, 24)
    write_scores(b, {("black", m): r for m, r in sweep(2).items()}, tmp_path, [0], 30, 24)
    assert main([str(a), str(b), "--leaking", "--resamples", "20"]) == 2


def test_runs_at_two_scales_are_not_compared_and_old_runs_read_as_scale_1(tmp_path) -> None:
    import json

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    write_scores(a, {("black", m): r for m, r in sweep().items()}, tmp_path, [0], 30, 24)
    write_scores(b, {("black", m): r for m, r in sweep(2).items()}, tmp_path, [0], 30, 24, 2.0)
    assert main([str(a), str(b), "--resamples", "20"]) == 2
    old = json.loads(a.read_text())
    del old["run"]["scale"]
    a.write_text(json.dumps(old))
    assert read_scores(a)[0]["scale"] == 1.0
    write_scores(b, {("black", m): r for m, r in sweep(2).items()}, tmp_path, [0], 30, 24)
    assert main([str(a), str(b), "--resamples", "20"]) == 0


def test_per_mp_reads_false_px_per_mp_of_drawing_so_thinner_closures_are_no_worse() -> None:
    # The same closures and the same false px, drawn half as wide (half the new px): the share of
    # the added px that is false doubles, the false px per MP of drawing stay.
    wide = sweep()
    thin = sweep()
    for rows in (*wide.values(), *thin.values()):
        for score in rows.values():
            score.gapped_area = 250_000
    for rows in thin.values():
        for score in rows.values():
            score.new_pixels //= 2
    names = list(DRAWINGS)
    share_wide, _ = curves(np.ones((1, len(names))), *sweep_arrays(wide, names))
    share_thin, _ = curves(np.ones((1, len(names))), *sweep_arrays(thin, names))
    np.testing.assert_allclose(share_thin, 2 * share_wide)
    per_mp_wide, closure = curves(np.ones((1, len(names))), *sweep_arrays(wide, names,
                                                                          per_mp=True))
    per_mp_thin, _ = curves(np.ones((1, len(names))), *sweep_arrays(thin, names, per_mp=True))
    np.testing.assert_allclose(per_mp_thin, per_mp_wide)
    far = sum(wide["ours @0.5"][n].far_pixels for n in names)
    assert per_mp_wide[0, 1] == pytest.approx(far / (len(names) * 0.25))  # px per MP
    result = compare(wide, thin, per_mp_wide[0, 1], 50, np.random.default_rng(0), per_mp=True)
    np.testing.assert_allclose(result["b"], result["a"])
