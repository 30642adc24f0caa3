from __future__ import annotations

import json
from pathlib import Path

from training.common.manifest import sha256_of, update_manifest


def test_an_update_rewrites_one_entry_and_keeps_the_others_in_their_order(tmp_path: Path
                                                                          ) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"models": {"verifier": {"file": "v.onnx"},
                                           "gaps": {"file": "g.onnx"},
                                           "refine": {"file": "r.onnx", "sha256": "old"}},
                                "note": "kept"}, indent=2) + "\n")
    update_manifest(tmp_path, "gaps", {"file": "g.onnx", "sha256": "new"})
    manifest = json.loads(path.read_text())
    assert list(manifest["models"]) == ["verifier", "gaps", "refine"]
    assert manifest["models"]["gaps"] == {"file": "g.onnx", "sha256": "new"}
    assert manifest["models"]["refine"]["sha256"] == "old" and manifest["note"] == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]  # nothing left beside it


def test_a_first_entry_makes_the_manifest(tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"abc")
    update_manifest(tmp_path, "refine", {"file": model.name, "sha256": sha256_of(model)})
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["models"]["refine"]["sha256"] == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
