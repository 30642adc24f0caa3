"""`training.gaps.pipeline --precision bfloat16`: the training steps under bfloat16 autocast,
the weights float32, the float32 path (`--precision float32`) unchanged; bfloat16 is the
default since stop 61. And the layout the steps run in: the patches and conv weights channels
last (`pipeline.MEMORY_FORMAT`, stop 63: about 1.45 times the steps a second on this CPU), the
same arithmetic, the net handed back in the default layout."""

from __future__ import annotations

import numpy as np
import pytest

from krita_linerefiner.core.candidates import FEATURES, PATCH


@pytest.fixture()
def torch():
    return pytest.importorskip("torch", reason="the verifier's training needs torch "
                               "(pip install torch)")


def _rows(n: int = 96):
    from training.gaps.verifier_data import Rows

    rng = np.random.default_rng(3)
    return Rows(patches=rng.random((n, 3, PATCH, PATCH)).astype(np.float16),
                features=rng.random((n, len(FEATURES)), dtype=np.float32),
                labels=(np.arange(n) % 3 == 0).astype(np.uint8),
                lengths=rng.random(n, dtype=np.float32) * 20,
                drawing=(np.arange(n) // 8).astype(np.int32))


def _weights(net) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in net.parameters()])


def test_bfloat16_steps_run_under_autocast_and_keep_float32_weights(torch, monkeypatch) -> None:
    from training.gaps import pipeline
    from training.gaps.verifier import Verifier

    seen: list = []

    class Recording(Verifier):  # the dtype of each training step's logits
        def logits(self, patches, features):
            out = super().logits(patches, features)
            if self.training:
                seen.append(out.dtype)
            return out

    monkeypatch.setattr(pipeline, "Verifier", Recording)
    rows = _rows()
    train_idx, val_idx = pipeline.split(rows, 0.25, 0)
    torch.set_num_threads(1)

    def run(precision: str):
        seen.clear()
        net, history = pipeline.train(rows, train_idx, val_idx, 2, 7, lambda _: None,
                                      widths=(4, 8, 8), hidden=8, precision=precision)
        return net, history, set(seen)

    a, _, dtypes_a = run("float32")
    b, _, _ = run("float32")
    c, history, dtypes_c = run("bfloat16")
    assert dtypes_a == {torch.float32}
    assert dtypes_c == {torch.bfloat16}
    # float32 twice from one seed: the same weights (the default path is deterministic).
    np.testing.assert_array_equal(_weights(a), _weights(b))
    assert all(p.dtype == torch.float32 for p in c.parameters())
    assert np.isfinite(_weights(c)).all() and np.isfinite(history[-1]["loss"])
    # ... and bfloat16 trains the same model, to rounding.
    assert np.abs(_weights(c) - _weights(a)).max() < 0.05


def test_an_unknown_precision_is_refused(torch) -> None:
    from training.gaps import pipeline

    rows = _rows(16)
    with pytest.raises(ValueError, match="bfloat16"):
        pipeline.train(rows, np.arange(12), np.arange(12, 16), 1, 0, lambda _: None,
                       widths=(4, 8, 8), hidden=8, precision="float16")
    with pytest.raises(SystemExit):
        pipeline.main(["--precision", "float16"])


def test_the_manifest_names_the_precision(torch) -> None:
    from training.gaps import pipeline

    assert "bfloat16" not in pipeline.hardware("cpu", 2, 2)
    assert "bfloat16 (autocast)" in pipeline.hardware("cpu", 2, 2, "bfloat16")


def test_channels_last_training_is_the_same_model_handed_back_contiguous(torch,
                                                                          monkeypatch) -> None:
    from training.gaps import pipeline

    assert pipeline.MEMORY_FORMAT is torch.channels_last
    rows = _rows()
    train_idx, val_idx = pipeline.split(rows, 0.25, 0)
    torch.set_num_threads(1)
    layouts: list = []
    real_verifier = pipeline.Verifier

    class Recording(real_verifier):  # the layout of each training step's patches
        def logits(self, patches, features):
            if self.training:
                layouts.append(patches.is_contiguous(memory_format=torch.channels_last)
                               and not patches.is_contiguous())
            return super().logits(patches, features)

    monkeypatch.setattr(pipeline, "Verifier", Recording)

    def run(layout):
        monkeypatch.setattr(pipeline, "MEMORY_FORMAT", layout)
        layouts.clear()
        net, history = pipeline.train(rows, train_idx, val_idx, 2, 7, lambda _: None,
                                      widths=(4, 8, 8), hidden=8, precision="float32")
        return net, history, set(layouts)

    plain, plain_history, plain_layouts = run(torch.contiguous_format)
    last, last_history, last_layouts = run(torch.channels_last)
    assert plain_layouts == {False} and last_layouts == {True}
    # The same steps in another layout: the same weights and losses, to float32 rounding.
    np.testing.assert_allclose(_weights(last), _weights(plain), atol=1e-4)
    assert abs(last_history[-1]["loss"] - plain_history[-1]["loss"]) < 1e-4
    # Handed back in the default layout, as export and the saved state dicts expect.
    assert all(p.is_contiguous() for p in last.parameters())
    assert all(p.is_contiguous() for p in last.state_dict().values())
