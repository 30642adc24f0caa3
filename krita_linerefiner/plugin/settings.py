"""The docker's settings: declared once with defaults and ranges, checked when loaded.

Stored as strings in Krita's settings (kritarc, group "LineRefiner"), so they persist across
restarts. A value that does not parse or is out of range falls back to its default with a log
line instead of breaking the panel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, Protocol

log = logging.getLogger(__name__)

GROUP = "LineRefiner"
CURVE_PRESETS = ("thin", "normal", "bold")
# Colours for the "filled gaps" strokes: red by default, another where the line art itself uses
# red (key frames mark shadows with red and blue lines).
GAP_COLORS = {"red": (1.0, 0.0, 0.0), "blue": (0.0, 0.0, 1.0), "green": (0.0, 0.8, 0.0),
              "magenta": (1.0, 0.0, 1.0)}
# What a run does on an animated layer: every keyframe that shows in the document's playback
# range, or only the frame on screen (then the results are one plain layer, as for a still).
ANIMATION_ALL = "all keyframes"
ANIMATION_CURRENT = "current frame only"
# Line darkness "auto": measured from each drawing (GapParams.line_darkness None).
AUTO = 0.0


class Store(Protocol):
    def read(self, key: str) -> str | None: ...

    def write(self, key: str, value: str) -> None: ...


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    description: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    # A value outside low..high that means "measure it"; stored as "auto".
    auto: float | None = None

    def parse(self, text: str) -> Any:
        kind = type(self.default)
        if kind is bool:
            if text not in ("true", "false"):
                raise ValueError(f"expected true or false, got {text!r}")
            return text == "true"
        if self.auto is not None and text == "auto":
            return self.auto
        value = kind(text)
        if self.low is not None and value < self.low:
            raise ValueError(f"{value} is below {self.low}")
        if self.high is not None and value > self.high:
            raise ValueError(f"{value} is above {self.high}")
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"{value!r} is not one of {self.choices}")
        return value

    def format(self, value: Any) -> str:
        if self.auto is not None and value == self.auto:
            return "auto"
        return ("true" if value else "false") if isinstance(value, bool) else str(value)


SETTINGS = (
    Setting("gap_sensitivity", 0.5, "Gap sensitivity: higher closes more, and riskier, gaps "
            "(breaks of up to 4 px that a stroke heads across, and of up to 3 px between two "
            "lines, are always closed)", 0.0, 1.0),
    Setting("max_gap", 24, "Longest gap, in pixels, that may be closed (a break along a "
            "stroke, whose two ends head at each other: up to a third longer)", 1, 64),
    Setting("max_gap_wide", True, "Wider lines, longer gaps: where the lines are wider than "
            "about 3 px (a scan at 300 dpi or more), Max gap grows with them, up to 64 px "
            "(from the next run on)"),
    Setting("seal_only", False, "Only add strokes that separate regions the line art merged"),
    Setting("dense", False, "Also add the dense gap model's strokes: closes more breaks in clean "
            "line art, adds more in sketches and dust, and takes longer"),
    Setting("line_darkness", AUTO, "How dark the lines are (0.02-1): lines this dark or darker "
            "count as full lines; auto measures it from the drawing, so faint pencil lines count",
            0.02, 1.0, auto=AUTO),
    Setting("gap_color", "red", "Colour of the strokes on the \"filled gaps\" layer",
            choices=tuple(GAP_COLORS)),
    Setting("animation", ANIMATION_ALL, "Animated layers: process every keyframe in the "
            "playback range (the results get keyframes at the same times), or the current "
            "frame only", choices=(ANIMATION_ALL, ANIMATION_CURRENT)),
    Setting("flats_fill_border", False, "Flats: also fill the regions touching the canvas border"),
    Setting("flats_min_region", 24, "Flats: regions smaller than this (px) merge into their "
            "largest neighbour", 0, 100_000),
    Setting("refine_strength", 1.0, "How far refined lines move from the original", 0.0, 1.0),
    Setting("curve_enabled", False, "Apply a tone curve to the refined lines"),
    Setting("curve_preset", "normal", "Tone curve for the refined lines",
            choices=CURVE_PRESETS),
    Setting("smooth_enabled", False, "Smooth the refined lines"),
    Setting("smooth_amount", 0.3, "How much to smooth", 0.0, 1.0),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Settings:
    gap_sensitivity: float = 0.5
    max_gap: int = 24
    max_gap_wide: bool = True
    seal_only: bool = False
    dense: bool = False
    line_darkness: float = AUTO
    gap_color: str = "red"
    animation: str = ANIMATION_ALL
    flats_fill_border: bool = False
    flats_min_region: int = 24
    refine_strength: float = 1.0
    curve_enabled: bool = False
    curve_preset: str = "normal"
    smooth_enabled: bool = False
    smooth_amount: float = 0.3

    def with_value(self, name: str, value: Any) -> Settings:
        setting = BY_NAME[name]
        # Validate through the same path as loading, so the docker cannot store a bad value.
        return replace(self, **{name: setting.parse(setting.format(value))})


def load(store: Store) -> Settings:
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        text = store.read(setting.name)
        if text is None or text == "":
            continue
        try:
            values[setting.name] = setting.parse(text)
        except ValueError as error:
            log.warning("LineRefiner setting %s=%r ignored (%s); using %r",
                        setting.name, text, error, setting.default)
    return Settings(**values)


def save(store: Store, settings: Settings) -> None:
    for field in fields(settings):
        store.write(field.name, BY_NAME[field.name].format(getattr(settings, field.name)))


class KritaStore:
    """Store on Krita's settings; `app` is Krita.instance()."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def read(self, key: str) -> str | None:
        return self.app.readSetting(GROUP, key, "") or None

    def write(self, key: str, value: str) -> None:
        self.app.writeSetting(GROUP, key, value)


class MemoryStore:
    def __init__(self, values: dict[str, str] | None = None,
                 on_write: Callable[[str, str], None] | None = None) -> None:
        self.values = dict(values or {})
        self.on_write = on_write

    def read(self, key: str) -> str | None:
        return self.values.get(key)

    def write(self, key: str, value: str) -> None:
        self.values[key] = value
        if self.on_write:
            self.on_write(key, value)
