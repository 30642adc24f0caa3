"""models/manifest.json as the training scripts write it (no torch needed)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def update_manifest(models: Path, name: str, entry: dict) -> None:
    """Rewrite only models[name] of `models`/manifest.json, read right before writing (several
    training scripts share the file), the other entries and their order kept; written to a
    temporary file first and moved into place, so a run cut off midway leaves the old file."""
    manifest_path = models / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"models": {}}
    manifest.setdefault("models", {})[name] = entry
    partial = manifest_path.with_suffix(".json.partial")
    partial.write_text(json.dumps(manifest, indent=2) + "\n")
    partial.replace(manifest_path)
