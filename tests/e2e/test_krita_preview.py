"""Live preview in real Krita 5 (headless, Xvfb), through the docker's controls (issue 13).

Close Gaps runs once on three shapes with a 4 px gap each; then the docker's Max gap and
Sensitivity controls are set as a user sets them. "filled gaps" must follow (Max gap 2 px closes
none of the 4 px gaps, 24 px all of them again; more sensitivity never fewer closures) with the
model opened once and the verifier not called again; the status line and the docker's region
count say what the fill sees. A rerun then finds the previewed layer untouched (no "(edited)"
copy); an edited source or a painted "filled gaps" is left alone with a message. Preview times
at 2048x2048 and a screenshot of the whole window after Fill Flats are recorded too.

One Krita launch runs scenarios/preview.py. Without krita or xvfb-run these tests fail when CI
is set, skip otherwise (as test_krita.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.e2e import harness
from tests.e2e.test_krita import check_run, models_env
from tests.e2e.test_krita_flats import EDIT, draw

SCENARIOS = Path(__file__).parent / "scenarios"
OUT = harness.OUT / "preview"
BIG = 2048


Session = harness.Session


@pytest.fixture(scope="module")
def krita(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    root, out, profile = harness.prepare(tmp_path_factory, "krita_preview", OUT)
    env = models_env(root)
    ink = draw(gapped=True)
    np.save(root / "ink.npy", ink)
    reps = (-(-BIG // ink.shape[0]), -(-BIG // ink.shape[1]))
    np.save(root / "big.npy", np.tile(ink, reps)[:BIG, :BIG])
    spec = {"ink": str(root / "ink.npy"), "big": str(root / "big.npy"), "edit": list(EDIT)}
    (root / "input.json").write_text(json.dumps(spec))
    env["LR_E2E_INPUT"] = str(root / "input.json")
    run = harness.run_krita(profile, SCENARIOS / "preview.py", out, timeout=600, env=env)
    yield Session(run, out)


def test_preview_ran_without_python_errors(krita: Session) -> None:
    check_run(krita.run)
    assert "Traceback" not in krita.run.log, krita.run.log[-3000:]


def test_a_slider_move_before_any_run_says_a_run_is_needed(krita: Session) -> None:
    check_run(krita.run)
    record = krita.r["norun_preview"]
    assert record["status"] == "none", record
    assert "Close Gaps" in record["message"] and "Close Gaps" in krita.r["norun_status"]


def test_the_run_reports_regions_before_and_after_closing(krita: Session) -> None:
    check_run(krita.run)
    outcome = krita.r["run1_outcome"]
    assert outcome["status"] == "done" and outcome["gap_count"] >= 3, outcome
    # three shapes, each open by one gap: no enclosed region before, three after
    assert (outcome["regions_before"], outcome["regions_after"]) == (0, 3), outcome
    assert "Regions: 0 before, 3 after closing" in outcome["message"]
    assert krita.r["run1_regions"] == "Regions: 0 before, 3 after closing"
    assert krita.r["run1_model"]["opened"] == 1 and krita.r["run1_model"]["scored"] >= 1


def test_max_gap_changes_filled_gaps_without_running_the_model(krita: Session) -> None:
    check_run(krita.run)
    r = krita.r
    run_px = r["run1_px"]
    assert run_px > 0
    for tag in ("gap2", "gap24", "sens0", "sens100"):
        record = r[f"{tag}_preview"]
        assert record["status"] == "done", (tag, record)
        # The model was opened for the run only, and the verifier never called again.
        assert r[f"{tag}_model"] == r["run1_model"], tag
        # The same layer, rewritten in place (no new layer, no new undo step).
        assert r[f"{tag}_gaps_id"] == r["run1_gaps_id"], tag
    assert r["gap2_px"] == 0 < run_px  # 2 px closes none of the 4 px gaps
    assert r["gap2_preview"]["gap_count"] == 0
    assert (r["gap2_preview"]["regions_before"], r["gap2_preview"]["regions_after"]) == (0, 0)
    assert "0 gaps closed" in r["gap2_status"] and "0 after closing" in r["gap2_status"]
    assert r["gap2_regions"] == "Regions: 0 before, 0 after closing"
    assert r["gap24_px"] == run_px  # back to the run's closures
    assert r["gap24_regions"] == "Regions: 0 before, 3 after closing"
    assert r["sens0_px"] <= run_px <= r["sens100_px"]
    assert r["sens0_preview"]["gap_count"] <= r["sens100_preview"]["gap_count"]


def test_a_rerun_replaces_the_previewed_layer_as_the_plugins_own(krita: Session) -> None:
    check_run(krita.run)
    outcome = krita.r["run2_outcome"]
    assert outcome["status"] == "done", outcome
    assert "painted on" not in outcome["message"], outcome
    assert "edited" not in json.dumps(krita.r["run2_tree"]), krita.r["run2_tree"]
    assert krita.r["run2_model"]["opened"] == 2


def test_an_edited_source_is_not_previewed(krita: Session) -> None:
    check_run(krita.run)
    record = krita.r["stale_preview"]
    assert record["status"] == "stale", record
    assert "press Close Gaps" in krita.r["stale_status"]
    assert krita.r["stale_after_sha"] == krita.r["stale_before_sha"]
    assert krita.r["stale_model"]["opened"] == 2


def test_a_painted_filled_gaps_layer_is_left_alone(krita: Session) -> None:
    check_run(krita.run)
    assert krita.r["run3_outcome"]["status"] == "done"
    record = krita.r["touched_preview"]
    assert record["status"] == "touched", record
    assert "painted" in krita.r["touched_status"]
    assert krita.r["touched_after_sha"] == krita.r["touched_before_sha"]


def test_preview_times_at_2048(krita: Session) -> None:
    """Recorded for the notes (issue 13's 150 ms is for the re-selection, benchmarks/preview.py
    measures it); here only that every preview at 2048x2048 did its work."""
    check_run(krita.run)
    assert krita.r["big_run_outcome"]["status"] == "done"
    times = []
    for tag in [f"big{i}" for i in range(5)] + [f"bigmax{i}" for i in range(3)]:
        record = krita.r[f"{tag}_preview"]
        assert record["status"] == "done", (tag, record)
        assert krita.r[f"{tag}_model"] == krita.r["big_run_model"]
        times.append((record["seconds"], record["compute_seconds"], record["ui_seconds"]))
    none, back = krita.r["big_none_preview"], krita.r["big_back_preview"]
    assert none["status"] == back["status"] == "done", (none, back)
    assert none["patches"] > 0 and back["patches"] == none["patches"]
    assert krita.r["big_none_px"] == 0 < krita.r["big_back_px"] == krita.r["big_run_px"]
    assert krita.r["big_back_model"] == krita.r["big_run_model"]
    for record in (none, back):
        times.append((record["seconds"], record["compute_seconds"], record["ui_seconds"]))
    (krita.out / "preview_times.json").write_text(json.dumps(times))


def test_fill_flats_window_screenshot_was_taken(krita: Session) -> None:
    """For a person to look at: out/preview/window_grab.png (the main window, QWidget.grab) and
    screen_grab.png (the whole Xvfb screen)."""
    check_run(krita.run)
    assert krita.r["flats_outcome"]["status"] == "done", krita.r["flats_outcome"]
    for name in krita.r["screenshots"]:
        assert (krita.out / name).stat().st_size > 10_000, name
