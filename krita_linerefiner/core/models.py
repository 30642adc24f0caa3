"""Model manifest, integrity check, execution providers and the one session factory."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import onnxruntime as ort

from .candidates import BRIDGE_CHORD, BRIDGE_KINDS, SAMPLING_KINDS, SAMPLING_POINT
from .errors import LineRefinerError
from .tiling import TileSpec

MANIFEST = "manifest.json"
ENV_MODELS_DIR = "LINEREFINER_MODELS"
GPU_PROVIDERS = ("CUDAExecutionProvider", "DmlExecutionProvider", "CoreMLExecutionProvider")
CPU_PROVIDER = "CPUExecutionProvider"
REINSTALL_HINT = "reinstall with python3 install.py"
# onnxruntime 1.21-1.24 on CPUs with AVX-512 VNNI / AMX compute the fused 8-bit convolutions
# (QLinearConv) of a QDQ model wrongly (microsoft/onnxruntime#26324): the shipped verifier's
# answers moved by up to 0.88 there, 2.6% of them across 0.5 (models/README.md, stop 47). So a
# scorer is checked once, when its session opens: CHECK_ROWS made-up rows through it and
# through a session of the same file whose QDQ nodes are left unfused (ORT_ENABLE_BASIC: the
# same 8-bit weights, float arithmetic). Where the two differ by more than CHECK_TOLERANCE the
# unfused session scores (about twice as slow; still faster than the float model). Elsewhere
# (1.19, 1.20, 1.25 and newer) they agree to the last bit.
CHECK_ROWS = 64
CHECK_TOLERANCE = 0.02

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ModelInfo:
    name: str
    file: str
    sha256: str
    version: str
    input_name: str
    output_name: str
    size_multiple: int
    receptive_radius: int
    overlap: int
    # "dense": an image in, a map of the same size out, run over tiles. "scorer": a batch of
    # patches and a batch of feature rows in, one probability per row out.
    kind: str = "dense"
    features_name: str = ""
    # A scorer's patches: what their bridge channel shows (core.candidates.BRIDGE_KINDS).
    bridge: str = BRIDGE_CHORD
    # ... and how they read the drawing (core.candidates.SAMPLING_KINDS).
    sampling: str = SAMPLING_POINT
    # Free-form records; kept out of hash/eq so ModelInfo can key the session cache.
    provenance: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    metrics: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)


def default_models_dir() -> Path:
    override = os.environ.get(ENV_MODELS_DIR)
    if override:
        return Path(override).expanduser()
    # Repo checkout: <repo>/models beside the package. Installed plugin: <plugin>/models inside it.
    candidates = (_PACKAGE_DIR.parent / "models", _PACKAGE_DIR / "models")
    for candidate in candidates:
        if (candidate / MANIFEST).is_file():
            return candidate
    return next((c for c in candidates if c.is_dir()), candidates[0])


def _manifest_error(path: Path, problem: str) -> LineRefinerError:
    return LineRefinerError(f"Model manifest {path} {problem}", hint=REINSTALL_HINT)


def _model_info(name: str, entry: Any, path: Path) -> ModelInfo:
    if not isinstance(entry, dict):
        raise _manifest_error(path, f"has no settings for model {name!r}")
    try:
        info = ModelInfo(
            name=name,
            file=str(entry["file"]),
            sha256=str(entry["sha256"]).lower(),
            version=str(entry.get("version", "")),
            input_name=str(entry["input"]["name"]),
            output_name=str(entry["output"]["name"]),
            size_multiple=int(entry.get("size_multiple", 1)),
            receptive_radius=int(entry.get("receptive_radius", 0)),
            overlap=int(entry.get("overlap", 0)),
            kind=str(entry.get("kind", "dense")),
            features_name=str((entry.get("features") or {}).get("name", "")),
            bridge=str(entry.get("bridge", BRIDGE_CHORD)),
            sampling=str(entry.get("sampling", SAMPLING_POINT)),
            provenance=dict(entry.get("provenance") or {}),
            metrics=dict(entry.get("metrics") or {}),
        )
    except KeyError as missing:
        raise _manifest_error(path, f"lacks {missing} for model {name!r}") from None
    except (TypeError, ValueError) as bad:
        raise _manifest_error(path, f"has an invalid value for model {name!r}: {bad}") from None
    if info.kind not in SESSION_KINDS:
        raise _manifest_error(path, f"gives model {name!r} an unknown kind {info.kind!r}")
    if info.kind == "scorer" and not info.features_name:
        raise _manifest_error(path, f"lacks the features input of scorer model {name!r}")
    if info.bridge not in BRIDGE_KINDS:
        raise _manifest_error(
            path, f"gives model {name!r} an unknown bridge {info.bridge!r} (one of {BRIDGE_KINDS})"
        )
    if info.sampling not in SAMPLING_KINDS:
        raise _manifest_error(path, f"gives model {name!r} an unknown sampling "
                              f"{info.sampling!r} (one of {SAMPLING_KINDS})")
    if info.size_multiple < 1 or info.overlap < 0 or info.overlap % 2:
        raise _manifest_error(
            path, f"needs size_multiple >= 1 and an even overlap >= 0 for model {name!r}"
        )
    return info


def load_manifest(models_dir: Path | None = None) -> dict[str, ModelInfo]:
    folder = Path(models_dir) if models_dir is not None else default_models_dir()
    path = folder / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LineRefinerError(
            f"No model manifest at {path}",
            hint=f"{REINSTALL_HINT}, or set {ENV_MODELS_DIR} to the folder holding {MANIFEST}",
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as bad:
        raise _manifest_error(path, f"cannot be read: {bad}") from None
    models = raw.get("models") if isinstance(raw, dict) else None
    if not isinstance(models, dict):
        raise _manifest_error(path, 'has no "models" table')
    return {name: _model_info(name, entry, path) for name, entry in models.items()}


_hash_cache: dict[tuple[str, int, int], str] = {}
_hash_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    # Keyed by mtime and size so a replaced file is hashed again, an unchanged one only once.
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    with _hash_lock:
        cached = _hash_cache.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    with _hash_lock:
        _hash_cache[key] = digest.hexdigest()
    return digest.hexdigest()


def verified_model_path(info: ModelInfo, models_dir: Path) -> Path:
    path = models_dir / info.file
    if not path.is_file():
        raise LineRefinerError(f"Model file {path} is missing", hint=REINSTALL_HINT)
    actual = file_sha256(path)
    if actual != info.sha256:
        raise LineRefinerError(
            f"Model file {path} does not match its manifest checksum "
            f"(sha256 {actual[:12]}..., expected {info.sha256[:12]}...)",
            hint=f"the file is corrupt or was changed; {REINSTALL_HINT}",
        )
    return path


def choose_providers(available: Sequence[str] | None = None, use_gpu: bool = True) -> list[str]:
    offered = ort.get_available_providers() if available is None else list(available)
    chosen = [p for p in GPU_PROVIDERS if p in offered] if use_gpu else []
    # CPU last and always: every build has it, and onnxruntime falls back along this list.
    return [*chosen, CPU_PROVIDER]


def _is_out_of_memory(error: BaseException) -> bool:
    text = str(error).lower()
    return isinstance(error, MemoryError) or any(
        marker in text
        for marker in ("out of memory", "failed to allocate", "bad_alloc", "available memory")
    )


class ModelSession:
    def __init__(self, info: ModelInfo, session: ort.InferenceSession) -> None:
        self.info = info
        self.session = session
        self.providers: list[str] = list(session.get_providers())
        self._check_signature()

    def _check_signature(self) -> None:
        inputs = self.session.get_inputs()
        outputs = [o.name for o in self.session.get_outputs()]
        hint = f"models/{MANIFEST} does not describe this model file; {REINSTALL_HINT}"
        if len(inputs) != 1 or inputs[0].name != self.info.input_name:
            names = [i.name for i in inputs]
            raise LineRefinerError(
                f"Model {self.info.name!r} has inputs {names}, "
                f"expected one named {self.info.input_name!r}",
                hint=hint,
            )
        if self.info.output_name not in outputs:
            raise LineRefinerError(
                f"Model {self.info.name!r} has outputs {outputs}, "
                f"expected one named {self.info.output_name!r}",
                hint=hint,
            )
        shape = inputs[0].shape
        if inputs[0].type != "tensor(float)" or len(shape) != 4 or shape[1] not in (1, None):
            raise LineRefinerError(
                f"Model {self.info.name!r} takes {inputs[0].type} of shape {shape}, "
                "expected float32 of shape [1, 1, H, W]",
                hint=hint,
            )

    def __call__(self, tile: np.ndarray) -> np.ndarray:
        if tile.ndim != 2:
            raise ValueError(f"tile must be (h, w), got shape {tile.shape}")
        height, width = tile.shape
        batch = np.ascontiguousarray(tile, dtype=np.float32)[None, None]
        try:
            (result,) = self.session.run([self.info.output_name], {self.info.input_name: batch})
        except Exception as error:
            if _is_out_of_memory(error):
                raise LineRefinerError(
                    f"Out of memory running model {self.info.name!r} on a {width}x{height} tile",
                    hint="use a smaller tile size",
                ) from error
            raise LineRefinerError(
                f"Model {self.info.name!r} failed on a {width}x{height} tile: {error}",
                hint=f"tiles must be a multiple of {self.info.size_multiple} pixels; "
                f"if they are, {REINSTALL_HINT}",
            ) from error
        result = np.asarray(result)
        if result.shape != (1, 1, height, width):
            raise LineRefinerError(
                f"Model {self.info.name!r} returned shape {result.shape} for input {batch.shape}",
                hint=REINSTALL_HINT,
            )
        return result[0, 0].astype(np.float32, copy=False)

    def release_memory(self) -> None:
        """Give back what onnxruntime's arena kept from the runs so far (the buffers of the
        largest tile: about 400 MB for a 2048 px refine tile), so the steps after a tiled run
        have it: one run of the smallest tile, with the arena shrunk at its end."""
        options = ort.RunOptions()
        options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        size = self.info.size_multiple
        tile = np.zeros((1, 1, size, size), np.float32)
        try:
            self.session.run([self.info.output_name], {self.info.input_name: tile}, options)
        except Exception:  # noqa: BLE001 - only memory is at stake, never the result
            return

    def tile_spec(self, size: int = 512) -> TileSpec:
        multiple = self.info.size_multiple
        # Tile size is a speed/memory knob; a tile that cannot hold its own overlap would never
        # advance, so the smallest workable size is used instead of failing.
        size = max(size, self.info.overlap + 1)
        size = -(-size // multiple) * multiple
        return TileSpec(size=size, overlap=self.info.overlap, multiple=multiple)


class ScorerSession:
    """A model that scores a batch: patches (N, C, P, P) and features (N, F) -> (N,) in [0, 1]."""

    BATCH = 512  # rows per run: bounds the memory of a drawing with thousands of candidates

    def __init__(self, info: ModelInfo, session: ort.InferenceSession) -> None:
        self.info = info
        self.session = session
        self.providers: list[str] = list(session.get_providers())
        # Why the session runs unfused (use_unfused_if_wrong), or "" when it runs as opened.
        self.unfused_reason = ""
        names = sorted(i.name for i in session.get_inputs())
        expected = sorted((info.input_name, info.features_name))
        outputs = [o.name for o in session.get_outputs()]
        if names != expected or info.output_name not in outputs:
            raise LineRefinerError(
                f"Model {info.name!r} has inputs {names} and outputs {outputs}, expected inputs "
                f"{expected} and an output named {info.output_name!r}",
                hint=f"models/{MANIFEST} does not describe this model file; {REINSTALL_HINT}",
            )
        shapes = {i.name: i.shape for i in session.get_inputs()}
        self.patch_shape = tuple(shapes[info.input_name][1:])
        self.features = int(shapes[info.features_name][1])
        self.bridge = info.bridge  # what the patches' bridge channel must show
        self.sampling = info.sampling  # how the patches must read the drawing

    def __call__(self, patches: np.ndarray, features: np.ndarray) -> np.ndarray:
        n = len(patches)
        if len(features) != n:
            raise ValueError(f"{n} patches but {len(features)} feature rows")
        out = np.zeros(n, np.float32)
        for lo in range(0, n, self.BATCH):
            feed = {
                self.info.input_name: np.ascontiguousarray(patches[lo : lo + self.BATCH],
                                                           dtype=np.float32),
                self.info.features_name: np.ascontiguousarray(features[lo : lo + self.BATCH],
                                                              dtype=np.float32),
            }
            try:
                (result,) = self.session.run([self.info.output_name], feed)
            except Exception as error:
                raise LineRefinerError(
                    f"Model {self.info.name!r} failed on {len(feed[self.info.input_name])} "
                    f"candidates: {error}",
                    hint=REINSTALL_HINT,
                ) from error
            out[lo : lo + self.BATCH] = np.asarray(result, np.float32).reshape(-1)
        return out

    def check_rows(self, count: int = CHECK_ROWS, seed: int = 0
                   ) -> tuple[np.ndarray, np.ndarray]:
        """(patches, features) of `count` made-up candidates shaped as this model takes them:
        a few anti-aliased strokes of 1-3 px in the first channel, the first of them in the
        second, a bridge across the middle in the third; features uniform in [0, 1)."""
        import cv2

        channels, size = int(self.patch_shape[0]), int(self.patch_shape[-1])
        rng = np.random.default_rng(seed)
        patches = np.zeros((count, channels, size, size), np.float32)
        for row in patches:
            for k in range(int(rng.integers(2, 5))):
                a, b = rng.integers(0, size, 2), rng.integers(0, size, 2)
                stroke = np.zeros((size, size), np.float32)
                cv2.line(stroke, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), 1.0,
                         int(rng.integers(1, 4)), cv2.LINE_AA)
                np.maximum(row[0], stroke, out=row[0])
                if k == 0 and channels > 1:
                    row[1] = stroke >= 0.5
            if channels > 2:
                row[2, size // 2 - 1 : size // 2 + 2, size // 4 : 3 * size // 4] = 1.0
        return patches, rng.random((count, self.features)).astype(np.float32)

    def use_unfused_if_wrong(self, unfused: ScorerSession) -> bool:
        """Score check_rows with this session and with `unfused` (the same model opened
        without QDQ fusion); where they differ by more than CHECK_TOLERANCE, score with
        `unfused` from now on (see CHECK_TOLERANCE). True when it switched."""
        if not all(isinstance(d, int) for d in (*self.patch_shape, self.features)):
            return False  # a model with free patch sizes: no rows to make up
        patches, features = self.check_rows()
        mine, theirs = self(patches, features), unfused(patches, features)
        worst = float(np.max(np.abs(mine - theirs))) if len(mine) else 0.0
        if not worst > CHECK_TOLERANCE:
            return False
        self.session = unfused.session
        self.providers = unfused.providers
        self.unfused_reason = (
            f"onnxruntime {ort.__version__} computes this model's fused 8-bit layers wrongly "
            f"on this CPU (answers off by up to {worst:.2f}; microsoft/onnxruntime#26324): "
            "scoring unfused, about twice as slow; onnxruntime 1.20 or 1.25 and newer avoid it "
            "(the plugin's install.py installs 1.20.1 or newer)")
        return True


SESSION_KINDS = {"dense": ModelSession, "scorer": ScorerSession}


def _inference_session(path: str, threads: int, providers: tuple[str, ...], info: ModelInfo,
                       level: ort.GraphOptimizationLevel) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = level
    options.log_severity_level = 3  # warnings about provider fallback are not actionable here
    try:
        return ort.InferenceSession(path, sess_options=options, providers=list(providers))
    except Exception as error:
        if _is_out_of_memory(error):
            raise LineRefinerError(
                f"Out of memory loading model {info.name!r}", hint="close other programs"
            ) from error
        raise LineRefinerError(
            f"onnxruntime {ort.__version__} cannot load model {info.name!r} from {path}: {error}",
            hint=f"the file may be damaged or need a newer onnxruntime; {REINSTALL_HINT}",
        ) from error


@functools.cache
def _open_session(
    path: str, sha256: str, threads: int, providers: tuple[str, ...], info: ModelInfo
) -> ModelSession | ScorerSession:
    # sha256 is part of the key so a replaced model file gets a fresh session.
    del sha256
    session = _inference_session(path, threads, providers, info,
                                 ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    opened = SESSION_KINDS[info.kind](info, session)
    if isinstance(opened, ScorerSession):
        unfused = _inference_session(path, threads, providers, info,
                                     ort.GraphOptimizationLevel.ORT_ENABLE_BASIC)
        opened.use_unfused_if_wrong(ScorerSession(info, unfused))
    return opened


def create_session(
    name: str, *, models_dir: Path | None = None, threads: int = 0, use_gpu: bool = True
) -> ModelSession:
    return _of_kind(ModelSession, "an image model", name, models_dir, threads, use_gpu)


def create_scorer(
    name: str, *, models_dir: Path | None = None, threads: int = 0, use_gpu: bool = True
) -> ScorerSession:
    return _of_kind(ScorerSession, "a scorer", name, models_dir, threads, use_gpu)


_Session = TypeVar("_Session", ModelSession, ScorerSession)


def _of_kind(cls: type[_Session], what: str, name: str, models_dir: Path | None, threads: int,
             use_gpu: bool) -> _Session:
    session = _session(name, models_dir=models_dir, threads=threads, use_gpu=use_gpu)
    if not isinstance(session, cls):
        raise LineRefinerError(f"Model {name!r} is a {session.info.kind} model, not {what}",
                               hint=REINSTALL_HINT)
    return session


def _session(
    name: str, *, models_dir: Path | None, threads: int, use_gpu: bool
) -> ModelSession | ScorerSession:
    if threads < 0:
        raise ValueError(f"threads must be >= 0, got {threads}")
    folder = Path(models_dir) if models_dir is not None else default_models_dir()
    manifest = load_manifest(folder)
    if name not in manifest:
        raise LineRefinerError(
            f"No model named {name!r} in {folder / MANIFEST} (has {sorted(manifest)})",
            hint=REINSTALL_HINT,
        )
    info = manifest[name]
    path = verified_model_path(info, folder)
    providers = tuple(choose_providers(use_gpu=use_gpu))
    return _open_session(str(path.resolve()), info.sha256, threads, providers, info)


def clear_session_cache() -> None:
    _open_session.cache_clear()
    with _hash_lock:
        _hash_cache.clear()
