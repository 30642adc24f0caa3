"""LineRefiner in real Krita 5 (headless, Xvfb, throw-away profile), driven through its Filter menu.

Two Krita launches for the whole module (Krita takes tens of seconds to start): the first runs
every case in scenarios/main.py, the second checks that settings persisted and that missing
packages are named. Without krita or xvfb-run these tests fail when CI is set, skip otherwise.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from krita_linerefiner.core.ink import PixelFormat, ink_from_pixels
from tests.e2e import harness
from tests.e2e.drawings import Drawing, drawing, inside_areas, leaks, tiled

SCENARIOS = Path(__file__).parent / "scenarios"
OFFSET = (37, 21)  # as in scenarios/main.py
MAX_GAP_SETTING = 12
GROUP = "Line Refiner"
GAPS = "filled gaps"


def identity_model() -> Any:
    from onnx import TensorProto, helper

    shape = [1, 1, "H", "W"]
    graph = helper.make_graph(
        [helper.make_node("Identity", ["ink"], ["refined"])], "identity",
        [helper.make_tensor_value_info("ink", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("refined", TensorProto.FLOAT, shape)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def real_model(name: str) -> bool:
    manifest = harness.REPO / "models" / "manifest.json"
    return manifest.exists() and name in json.loads(manifest.read_text()).get("models", {})


def models_env(root: Path) -> dict[str, str]:
    """LINEREFINER_MODELS for the Krita runs: models/ as it is when it has every model gap
    closing needs; else a copy of models/ with stand-ins for what is missing (a geometric
    verifier; a morphological closing for "gaps" and an identity graph for "refine", so the
    refine commands switch on and run)."""
    if real_model("gaps") and real_model("verifier"):
        return {}
    from tests.model_fixtures import add_verifier, write_model_dir

    models = root / "models"
    if real_model("gaps"):
        shutil.copytree(harness.REPO / "models", models,
                        ignore=shutil.ignore_patterns("training-logs", "*.md"))
        add_verifier(models)
    else:
        write_model_dir(models)
    if not real_model("refine"):
        write_model_dir(models, "refine", identity_model())
    return {"LINEREFINER_MODELS": str(models)}


@dataclass
class Session:
    first: harness.KritaRun
    second: harness.KritaRun
    out: Path
    drawing: Drawing
    big: Drawing
    profile: harness.Profile

    @property
    def r(self) -> dict[str, Any]:
        return self.first.results


@pytest.fixture(scope="module")
def krita(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    # Its own folder under out/, so it never wipes the other real-Krita modules' output.
    root, out, profile = harness.prepare(tmp_path_factory, "krita", harness.OUT / "krita")
    env = models_env(root)

    d = drawing()
    big = tiled(d, 8)
    png = root / "lines.png"
    # Three channels, so Krita opens it as an RGB/Alpha image, as with a colour scan.
    gray = np.rint((1 - d.gapped) * 255).astype(np.uint8)
    assert cv2.imwrite(str(png), cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    np.save(root / "ink.npy", d.gapped)
    np.save(root / "big.npy", big.gapped)
    spec = {"png": str(png), "ink": str(root / "ink.npy"), "big": str(root / "big.npy"),
            "max_gap_setting": MAX_GAP_SETTING}
    (root / "input.json").write_text(json.dumps(spec))
    env["LR_E2E_INPUT"] = str(root / "input.json")

    first = harness.run_krita(profile, SCENARIOS / "main.py", out / "main", timeout=1800, env=env)
    vendor = profile.pykrita / harness.PLUGIN_NAME / "vendor"
    vendor.rename(vendor.with_name("vendor.off"))
    second = harness.run_krita(profile, SCENARIOS / "second_launch.py", out / "second",
                               timeout=180, env=env)
    yield Session(first, second, out, d, big, profile)


def load_dump(directory: Path, name: str) -> tuple[np.ndarray, PixelFormat, bytes]:
    meta = json.loads((directory / f"{name}.json").read_text())
    data = (directory / f"{name}.raw").read_bytes()
    fmt = PixelFormat(meta["color_model"], meta["depth"])
    return ink_from_pixels(data, meta["w"], meta["h"], fmt), fmt, data


def check_run(run: harness.KritaRun) -> None:
    assert not run.timed_out, f"Krita timed out; steps: {run.steps[-5:]}"
    assert "error" not in run.results, run.results["error"]
    assert run.results.get("finished"), f"scenario did not finish; steps: {run.steps[-5:]}"


def test_krita_ran_every_case_without_python_errors(krita: Session) -> None:
    check_run(krita.first)
    assert krita.r["deps_problem"] == ""
    assert "Traceback" not in krita.first.log, krita.first.log[-3000:]
    # Krita's own log ($XDG_DATA_HOME/krita.log): plugin load problems would show up here.
    krita_log = (krita.profile.data / "krita.log").read_text(errors="replace")
    assert "Created image" in krita_log  # it is the log Krita writes to
    assert "Traceback" not in krita_log and "linerefiner" not in krita_log.lower(), krita_log


def test_actions_are_in_the_filter_menu_and_the_docker_in_settings_dockers(
    krita: Session,
) -> None:
    check_run(krita.first)
    ids = ["linerefiner_close_gaps", "linerefiner_refine", "linerefiner_refine_close_gaps",
           "linerefiner_fill_flats", "linerefiner_refine_close_flats"]
    assert all(i in krita.r["filter_menu"] for i in ids)
    assert krita.r["action_texts"] == {
        "linerefiner_close_gaps": "Close Line Gaps",
        "linerefiner_refine": "Refine Lines",
        "linerefiner_refine_close_gaps": "Refine Lines and Close Gaps",
        "linerefiner_fill_flats": "Fill Flats",
        "linerefiner_refine_close_flats": "Refine Lines, Close Gaps and Fill Flats",
    }
    assert "Line Refiner" in krita.r["dockers_menu"]


def test_results_go_into_a_group_above_the_source(krita: Session) -> None:
    check_run(krita.first)
    tree = krita.r["png_tree"]
    assert [name for name, _, _ in tree][1:] == [GROUP]
    assert tree[0][1] == "paintlayer"
    assert tree[1][1:] == ["grouplayer", [[GAPS, "paintlayer", []]]]
    assert krita.r["png_outcome"]["status"] == "done"
    assert krita.r["png_outcome"]["gap_count"] >= 3
    assert krita.r["png_source_unchanged"]
    # The source stays active, so the next run (or the docker) works on it again.
    assert krita.r["png_active_after"] == tree[0][0]


def test_red_strokes_close_the_known_gaps(krita: Session) -> None:
    check_run(krita.first)
    d = krita.drawing
    assert leaks(d.gapped, d) == [True, True, True]  # the drawing really leaks before
    merged, _, _ = load_dump(krita.out / "main", "png_merged")
    assert leaks(merged, d) == [False, False, False]
    # Regions match the truth: nothing is lost to over-filling near the gaps.
    for got, want in zip(inside_areas(merged, d), inside_areas(d.intact, d), strict=True):
        assert 0.97 * want <= got <= 1.01 * want


def test_filled_gaps_layer_is_pure_red_on_transparent(krita: Session) -> None:
    check_run(krita.first)
    _, fmt, data = load_dump(krita.out / "main", "png_gaps")
    assert (fmt.color_model, fmt.depth) == ("RGBA", "U8")
    meta = json.loads((krita.out / "main" / "png_gaps.json").read_text())
    bgra = np.frombuffer(data, np.uint8).reshape(meta["h"], meta["w"], 4)
    painted = bgra[..., 3] > 0
    assert painted.any()
    assert (bgra[painted][:, :3] == [0, 0, 255]).all()  # B, G, R
    # Only near the gaps: the user's own lines are not traced over.
    assert painted.sum() < 0.01 * painted.size


def test_undo_removes_a_run_in_one_step(krita: Session) -> None:
    check_run(krita.first)
    assert [n for n, _, _ in krita.r["png_tree_after_undo"]] == [krita.r["png_tree"][0][0]]
    assert krita.r["png_source_unchanged_after_undo"]


def test_running_again_replaces_the_results(krita: Session) -> None:
    check_run(krita.first)
    assert krita.r["png_rerun_outcome"]["status"] == "done"
    assert krita.r["png_tree_after_rerun"] == krita.r["png_tree"]
    assert krita.r["png_rerun_kept_hidden"]
    assert krita.r["png_source_unchanged_after_rerun"]
    # A rerun is two undo steps: the first removes its results, the second restores the last.
    source = krita.r["png_tree"][0]
    assert krita.r["png_tree_rerun_undo1"] == [source]
    assert krita.r["png_tree_rerun_undo2"] == krita.r["png_tree"]


def test_saved_kra_has_the_group_and_layers(krita: Session) -> None:
    check_run(krita.first)
    assert krita.r["png_saved"]
    with zipfile.ZipFile(krita.out / "main" / "png_result.kra") as kra:
        maindoc = kra.read("maindoc.xml").decode()
    assert f'name="{GROUP}"' in maindoc and f'name="{GAPS}"' in maindoc


@pytest.mark.parametrize("model", ["RGBA", "GRAYA"])
@pytest.mark.parametrize("depth", ["U8", "U16", "F16", "F32"])
def test_every_line_art_format_works(krita: Session, model: str, depth: str) -> None:
    check_run(krita.first)
    name = f"fmt_{model}_{depth}"
    assert krita.r[f"{name}_outcome"]["status"] == "done", krita.r[f"{name}_outcome"]
    tree = krita.r[f"{name}_tree"]
    assert [n for n, _, _ in tree][-2:] == ["lines", GROUP]
    assert tree[-1][2] == [[GAPS, "paintlayer", []]]
    assert krita.r[f"{name}_source_unchanged"]
    merged, fmt, _ = load_dump(krita.out / "main", f"{name}_merged")
    assert (fmt.color_model, fmt.depth) == (model, depth)
    assert leaks(merged, krita.drawing, OFFSET) == [False, False, False]


def test_vector_layer_and_cmyk_image_get_a_message_and_no_change(krita: Session) -> None:
    check_run(krita.first)
    assert krita.r["vector_outcome"]["status"] == "refused"
    assert "vector layer" in krita.r["vector_outcome"]["message"]
    assert krita.r["vector_tree_unchanged"]
    assert krita.r["cmyk_model"] == "CMYKA"
    assert krita.r["cmyk_outcome"]["status"] == "refused"
    assert "CMYK" in krita.r["cmyk_outcome"]["message"]
    assert krita.r["cmyk_tree_unchanged"]


def test_selection_limits_the_result(krita: Session) -> None:
    check_run(krita.first)
    assert krita.r["selection_outcome"]["status"] == "done"
    gaps, _, _ = load_dump(krita.out / "main", "selection_gaps")
    half = gaps.shape[1] // 2
    assert gaps[:, :half].max() > 0.5  # the box's gap, inside the selection, is closed
    assert gaps[:, half:].max() == 0  # nothing outside it


def test_cancel_changes_nothing(krita: Session) -> None:
    check_run(krita.first)
    assert krita.r["cancel_was_busy"]
    assert krita.r["cancel_outcome"]["status"] == "cancelled"
    assert krita.r["cancel_tree_unchanged"]
    assert krita.r["cancel_source_unchanged"]


def test_krita_stays_responsive_during_a_big_run(krita: Session) -> None:
    check_run(krita.first)
    outcome = krita.r["big_outcome"]
    assert outcome["status"] == "done"
    load = krita.r["big_load_per_core"]
    print(f"2048x2048: the plugin held the UI thread at most {outcome['ui_seconds'] * 1000:.0f} ms "
          f"wall, {outcome['ui_cpu_seconds'] * 1000:.0f} ms CPU (per phase, wall: "
          f"{outcome['ui_phases']}); longest stall a 10 ms UI timer saw "
          f"{krita.r['big_ui_block_s'] * 1000:.0f} ms; run {outcome['seconds']:.2f} s; "
          f"load average per core {load:.1f}")
    # The plugin's own work on the UI thread (copying the layer in, writing result slices,
    # adding the group): the goal is 100 ms; CPU time, because wall time also counts the time
    # other processes held the 2 cores.
    assert outcome["ui_cpu_seconds"] < 0.15, outcome
    # Every phase is timed on its own, however few slices the write took.
    phases = outcome["ui_phases"]
    assert set(phases) == {"read", "build", "write", "attach"}, phases
    if load < 1.0:
        # Wall time only means something on a machine that is not overloaded.
        assert max(phases[p] for p in ("read", "build", "write")) < 0.25, phases
        # Node.addChildNode waits inside Krita (image->waitForDone()) until the image is
        # recomposited with the new layers: Krita's cost of adding any layer this big.
        assert phases["attach"] < 1.0, phases
        # This timer also sees Krita repainting a 2048x2048 canvas with software OpenGL.
        assert krita.r["big_ui_block_s"] < 2.0


def test_screenshot_of_krita_with_the_docker(krita: Session) -> None:
    check_run(krita.first)
    shot = cv2.imread(str(krita.out / "main" / "krita_docker.png"))
    assert shot is not None and shot.shape[0] > 500 and shot.shape[1] > 800
    assert "gaps closed" in krita.r["docker_labels"]["linerefiner_status"]


def test_settings_persist_and_missing_packages_are_named(krita: Session) -> None:
    check_run(krita.second)
    r = krita.second.results
    assert r["max_gap"] == MAX_GAP_SETTING
    for package in ("numpy", "onnxruntime", "opencv-python-headless"):
        assert package in r["reason"]
    assert "pip install" in r["reason"] and "--target" in r["reason"]
    assert "install.py" in r["reason"]
    assert r["buttons_enabled"] == [False, False, False]
    assert r["outcome"]["status"] == "refused"


def test_refine_and_close_gaps_switches_on_with_the_refine_model(krita: Session) -> None:
    check_run(krita.first)
    outcome = krita.r["refine_outcome"]
    if not krita.r["refine_available_now"]:
        # models/ has the gap model but not (yet) the refine model.
        assert outcome["status"] == "refused" and "refine model" in outcome["message"]
        return
    assert outcome["status"] == "done", outcome
    group = krita.r["refine_tree"][1]
    assert group[0] == GROUP
    # Inside the group, top to bottom: the red gap strokes over the refined lines.
    assert [name for name, _, _ in reversed(group[2])] == [GAPS, "refined lines"]
    refined, _, _ = load_dump(krita.out / "main", "refine_refined")
    assert refined.max() > 0.5  # black lines on transparent
    if not real_model("refine"):
        # The stand-in refine model is the identity: the refined lines are the input lines.
        np.testing.assert_allclose(refined, krita.drawing.gapped, atol=1 / 255)


def test_curve_is_a_line_weight_filter_mask_on_the_refined_lines(krita: Session) -> None:
    check_run(krita.first)
    if not krita.r["refine_available"]:
        pytest.skip("no refine model")
    from krita_linerefiner.core.post import krita_curve_string

    bold = krita_curve_string("bold")
    for model, (count, alpha) in (("RGBA", (8, 4)), ("GRAYA", (2, 1))):
        assert krita.r[f"curve_{model}_outcome"]["status"] == "done"
        group = krita.r[f"curve_{model}_tree"][-1]
        assert group == [GROUP, "grouplayer", [
            ["refined lines", "paintlayer", [["line weight", "filtermask", []]]]]]
        assert krita.r[f"curve_{model}_filter"] == "perchannel"
        # What Krita saves is what it applies: the preset on the alpha curve, identity elsewhere.
        config = krita.r[f"curve_{model}_configs"][0]
        assert f'<param name="nTransfers">{count}</param>' in config
        assert f'<param name="curve{alpha}">{bold}</param>' in config
        assert config.count("0,0;1,1;") == count - 1
        # The bold curve makes the lines heavier in the merged image; hiding the mask undoes it.
        with_mask, hidden = krita.r[f"curve_{model}_ink"]
        assert with_mask > 1.03 * hidden, (with_mask, hidden)


def test_smoothing_is_a_layer_of_its_own_that_can_be_switched_off(krita: Session) -> None:
    check_run(krita.first)
    if not krita.r["refine_available"]:
        pytest.skip("no refine model")
    assert krita.r["smooth_outcome"]["status"] == "done"
    weight = [["line weight", "filtermask", []]]
    group = krita.r["smooth_tree"][1]
    assert group == [GROUP, "grouplayer", [
        ["refined lines", "grouplayer", [["unsmoothed lines", "paintlayer", weight],
                                         ["smoothed lines", "paintlayer", weight]]],
        [GAPS, "paintlayer", []],  # bottom to top: the red strokes stay on top
    ]]
    assert krita.r["smooth_visible"] == {"unsmoothed lines": False, "smoothed lines": True}
    smoothed, _, _ = load_dump(krita.out / "main", "smooth_smoothed")
    unsmoothed, _, _ = load_dump(krita.out / "main", "smooth_unsmoothed")
    assert smoothed.max() > 0.5 and unsmoothed.max() > 0.5
    assert np.abs(smoothed - unsmoothed).max() > 0.1  # the smoothing really is a step apart
    # Toggling changes the picture, and a rerun keeps the user's choice.
    assert krita.r["smooth_ink"][0] != krita.r["smooth_ink"][1]
    assert krita.r["smooth_rerun_visible"] == {"unsmoothed lines": True, "smoothed lines": False}
    assert krita.r["smooth_rerun_tree"] == krita.r["smooth_tree"]
