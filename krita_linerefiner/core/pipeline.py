"""The one order of steps, for the CLI and the plugin alike: refine, smooth, curve, close, flats.

The order follows the plugin's layers, where each step stays editable: "refined lines" holds
the model's output, smoothing is a layer made from it, and the line-weight curve is a filter
mask on top of each line layer, so it acts on the smoothed lines. Gaps are closed on the lines
as the user sees them (through the curve), and flats are filled between those lines and the
closures. Callers keep only their input and output handling: files for the CLI, layer bytes and
patches for the plugin.

Each step gets a slice of one progress callback, in proportion to its usual share of the time
(the two network steps dominate), and the cancel callback is checked between steps and passed
down to the steps that can stop midway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .closures import Scorer
from .errors import LineRefinerError, check_cancel
from .flats import FlatsParams, FlatsResult, fill_flats
from .gaps import GapParams, GapResult, close_gaps
from .post import CURVE_PRESETS, smooth, tone_curve
from .refine import RefineParams, refine
from .tiling import TileModel, sub_progress

STEP_ORDER = ("refine", "smooth", "curve", "close", "flats")
# Relative progress-bar share of each step, from typical runs on 2 CPU threads.
STEP_WEIGHTS = {"refine": 4.0, "smooth": 1.0, "curve": 0.05, "close": 4.0, "flats": 1.0}


@dataclass(frozen=True)
class Steps:
    """What to do to the lines; a step left at None is skipped."""

    refine: RefineParams | None = None
    smooth: float | None = None  # amount 0..1
    curve: str | None = None
    gaps: GapParams | None = None
    flats: FlatsParams | None = None

    def __post_init__(self) -> None:
        if self.smooth is not None and not 0.0 <= self.smooth <= 1.0:
            raise LineRefinerError(f"Smoothing must be between 0 and 1, not {self.smooth}.")
        if self.curve is not None and self.curve not in CURVE_PRESETS:
            raise LineRefinerError(
                f"Unknown line weight curve {self.curve!r}.",
                hint=f"use one of {sorted(CURVE_PRESETS)}",
            )

    @property
    def names(self) -> tuple[str, ...]:
        """The steps that run, in order."""
        on = {"refine": self.refine is not None, "smooth": self.smooth is not None,
              "curve": self.curve is not None, "close": self.gaps is not None,
              "flats": self.flats is not None}
        return tuple(name for name in STEP_ORDER if on[name])


@dataclass(frozen=True)
class Sessions:
    """Models already opened by the caller (threads, GPU); None: each step opens its own."""

    refine: TileModel | None = None
    gaps: TileModel | None = None  # the dense gap model
    scorer: Scorer | None = None  # the gap verifier

    def note(self) -> str:
        """What a user should know about how the models run, in one line; "" when nothing.
        Today: the verifier scores unfused because this onnxruntime computes its fused 8-bit
        layers wrongly on this CPU (right answers, slower; core.models.ScorerSession)."""
        return str(getattr(self.scorer, "unfused_reason", "") or "")


@dataclass(frozen=True)
class Stages:
    """What each step produced. The same array may appear twice where a step was skipped."""

    lines: np.ndarray  # the lines as the user sees them: refined, smoothed, curved (the input
    # array itself when no step changed them)
    refined: np.ndarray | None = None  # the refine model's output alone
    smoothed: np.ndarray | None = None  # the refined (or input) lines smoothed, before the curve
    gaps: GapResult | None = None
    flats: FlatsResult | None = None


def open_sessions(steps: Steps, *, threads: int = 0, use_gpu: bool = True) -> Sessions:
    """The models `steps` need, opened once for a batch: the refine model, the gap verifier and,
    when asked for (GapParams.dense) or while no verifier is installed, the dense gap model."""
    from .models import create_scorer, create_session, load_manifest

    refine_session = None
    if steps.refine is not None and steps.refine.strength > 0:
        refine_session = create_session(steps.refine.model_name, threads=threads,
                                        use_gpu=use_gpu)
    scorer = dense = None
    if steps.gaps is not None:
        if "verifier" in load_manifest():
            scorer = create_scorer("verifier", threads=threads, use_gpu=use_gpu)
        if steps.gaps.dense or scorer is None:
            dense = create_session("gaps", threads=threads, use_gpu=use_gpu)
    return Sessions(refine_session, dense, scorer)


def progress_slices(
    names: tuple[str, ...], progress: Callable[[float], None] | None
) -> dict[str, Callable[[float], None]]:
    """For each step, a callback that maps its own 0..1 onto its slice of `progress`."""
    total = sum(STEP_WEIGHTS[name] for name in names) or 1.0
    slices: dict[str, Callable[[float], None]] = {}
    start = 0.0
    for name in names:
        slices[name] = sub_progress(progress, start / total, STEP_WEIGHTS[name] / total)
        start += STEP_WEIGHTS[name]
    return slices


def run_pipeline(
    ink: np.ndarray,
    steps: Steps,
    *,
    sessions: Sessions | None = None,
    origin: tuple[int, int] = (0, 0),
    previous_flats: np.ndarray | None = None,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    keep_analysis: bool = True,
    gap_reach: int | None = None,
) -> Stages:
    """Run `steps` on `ink` (float32, 0 paper..1 ink). `origin` and `previous_flats` go to
    fill_flats (document position of the map, the last flats to take colours from).
    `keep_analysis=False`: the gap analysis (for a live preview) is not kept in Stages.gaps,
    so the flats step runs without its full-size maps in memory (a batch, the CLI).
    `gap_reach`: how far the kept analysis searches for bridges (close_gaps's reach), so a live
    preview can raise the max gap up to it (core.preview.PREVIEW_REACH)."""
    sessions = sessions or Sessions()
    names = steps.names
    report = progress_slices(names, progress)

    if ink.ndim != 2 or ink.size == 0:
        raise LineRefinerError(f"Expected a non-empty 2-D ink map, got shape {ink.shape}.")
    # No copy here (a page is 200 MB a map): every step reads its input without changing it.
    lines = ink
    refined = smoothed = None
    gaps = None
    flats = None
    if steps.refine is not None:
        check_cancel(cancel)
        lines = refined = refine(lines, steps.refine, session=sessions.refine,
                                 progress=report["refine"], cancel=cancel)
        report["refine"](1.0)
    if steps.smooth is not None:
        check_cancel(cancel)
        lines = smoothed = smooth(lines, steps.smooth)
        report["smooth"](1.0)
    if steps.curve is not None:
        check_cancel(cancel)
        lines = tone_curve(lines, steps.curve)
        report["curve"](1.0)
    if steps.gaps is not None:
        check_cancel(cancel)
        gaps = close_gaps(lines, steps.gaps, session=sessions.gaps, scorer=sessions.scorer,
                          progress=report["close"], cancel=cancel, reach=gap_reach,
                          keep_analysis=keep_analysis)
        report["close"](1.0)
    if steps.flats is not None:
        check_cancel(cancel)
        flats = flats_between(lines, gaps, steps.gaps, steps.flats, origin=origin,
                              previous=previous_flats, progress=report["flats"], cancel=cancel)
        report["flats"](1.0)
    return Stages(lines, refined, smoothed, gaps, flats)


def flats_between(
    lines: np.ndarray,
    gaps: GapResult | None,
    gap_params: GapParams | None,
    params: FlatsParams,
    *,
    origin: tuple[int, int],
    previous: np.ndarray | None,
    progress: Callable[[float], None],
    cancel: Callable[[], bool] | None,
) -> FlatsResult:
    """Flats between `lines` and the closures in `gaps`, reading the lines as closing did."""
    if gaps is None:
        return fill_flats(lines, None, params, origin=origin, previous=previous,
                          progress=progress, cancel=cancel)
    normalised = gaps.normalised
    if isinstance(normalised, np.ndarray) and normalised.shape == lines.shape:
        # The lines as close_gaps normalised them; doing it again would cost as much again.
        return fill_flats(normalised, gaps.gaps, params, normalised=True, origin=origin,
                          previous=previous, progress=progress, cancel=cancel)
    if params.line_darkness is None and gap_params is not None:
        params = replace(params, line_darkness=gap_params.line_darkness)
    return fill_flats(lines, gaps.gaps, params, origin=origin, previous=previous,
                      progress=progress, cancel=cancel)
