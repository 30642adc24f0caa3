"""The verifier ensemble (`training.gaps.pipeline --members N`): one exported model whose
probability is the mean of its members'."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from krita_linerefiner.core.candidates import FEATURES, PATCH


@pytest.fixture()
def torch():
    return pytest.importorskip("torch", reason="the verifier's training needs torch "
                               "(pip install torch)")


def test_the_ensemble_gives_the_mean_of_its_members(torch) -> None:
    from training.gaps.verifier import Ensemble, Verifier

    torch.manual_seed(0)
    members = [Verifier(widths=(4, 8, 8), hidden=8) for _ in range(3)]
    patches = torch.rand(5, 3, PATCH, PATCH)
    features = torch.rand(5, len(FEATURES))
    with torch.no_grad():
        each = torch.stack([m(patches, features) for m in members])
        got = Ensemble(members)(patches, features)
    assert torch.allclose(got, each.mean(0))
    # The members differ, so the mean is not just one of them.
    assert float((each[0] - each[1]).abs().max()) > 1e-4
    with pytest.raises(ValueError):
        Ensemble([])


def test_pipeline_exports_one_model_for_all_members(torch, tmp_path: Path) -> None:
    import onnxruntime as ort

    from training.gaps import pipeline
    from training.gaps.verifier import Verifier

    out, models = tmp_path / "run", tmp_path / "models"
    assert pipeline.main(["--per-category", "2", "--size", "96", "--epochs", "1",
                          "--source-crops", "0", "--members", "2", "--widths", "4", "8", "8",
                          "--hidden", "8", "--threads", "1", "--out", str(out),
                          "--models", str(models)]) == 0
    entry = json.loads((models / "manifest.json").read_text())["models"]["verifier"]
    assert entry["architecture"]["members"] == 2
    members = []
    for m in range(2):
        net = Verifier(widths=(4, 8, 8), hidden=8)
        net.load_state_dict(torch.load(out / f"verifier_member{m}.pt"))
        net.eval()
        members.append(net)
    rng = np.random.default_rng(1)
    patches = rng.random((4, 3, PATCH, PATCH), dtype=np.float32)
    features = rng.random((4, len(FEATURES)), dtype=np.float32)
    # The float export is the members' mean; the shipped file is its 8-bit version (the
    # pipeline's last step, training.gaps.quantize), close to it.
    def run(name: str) -> np.ndarray:
        session = ort.InferenceSession(str(models / name), providers=["CPUExecutionProvider"])
        return np.asarray(session.run(None, {"patches": patches, "features": features})[0])

    with torch.no_grad():
        each = [m(torch.from_numpy(patches), torch.from_numpy(features)).numpy()
                for m in members]
    np.testing.assert_allclose(run("verifier_float.onnx"), np.mean(each, axis=0), atol=1e-5)
    assert float(np.abs(run("verifier.onnx") - np.mean(each, axis=0)).mean()) < 0.05
    # Two seeds, two different members: the second one is really in the model.
    assert np.abs(each[0] - each[1]).max() > 1e-4
