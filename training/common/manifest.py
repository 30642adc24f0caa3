"""models/manifest.json as the training scripts write it (no torch needed)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def update_manifest(models: Path, name: str, entry: dict) -> None:
    manifest_path = models / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"models": {}}
    manifest.setdefault("models", {})[name] = entry
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
