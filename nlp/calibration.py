"""Calibration: from the scorer's raw score to an estimated probability.

The raw score (evidence and text model combined, nlp/scorer.py) orders listings but says
nothing about how often analysts find a listing of that score worth escalating. A
calibration is a monotone, piecewise-linear map fitted on outcomes that people decided
(models/calibration_fit.py fits it, ``thbscan calibration fit``): applied, the score reads as
"of the listings scored like this, this share was escalated".

Being monotone, a calibration never changes the order of the queue. The flag threshold and
the bands stay on the raw score (nlp/scoring.toml): fitting a calibration changes what the
number means to the analyst, never which listings are flagged or how urgently (a change of
policy is a separate, human decision, R01).

A calibration is plain data (breakpoints), stored as JSON: nothing is unpickled.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from nlp.errors import NlpError

FORMAT = "thbscan.calibration.v1"
MAX_POINTS = 10_000
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}")  # also a file name


class CalibrationError(NlpError):
    """A calibration file or fit that cannot be used."""


def check_version(version: Any) -> None:
    """A version names a file: refuse anything but a short plain name."""
    if not isinstance(version, str) or not _VERSION.fullmatch(version) or version == "none":
        raise CalibrationError(
            f"calibration version {version!r}: give 1-50 characters of A-Z a-z 0-9 '.' '_' "
            "'-', starting with a letter or digit ('none' is reserved)"
        )


@dataclass(frozen=True)
class Calibration:
    """Monotone non-decreasing map from raw score to probability, by linear interpolation
    between breakpoints ``(x[i], y[i])``; flat beyond the first and last."""

    version: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    fitted: dict[str, Any] = field(default_factory=dict)  # data, counts, metrics

    def __post_init__(self) -> None:
        check_version(self.version)
        if not 1 <= len(self.x) <= MAX_POINTS or len(self.x) != len(self.y):
            raise CalibrationError(
                f"calibration {self.version}: {len(self.x)} x and {len(self.y)} y breakpoints; "
                f"need the same number, 1 to {MAX_POINTS:,}"
            )
        for name, values in (("x", self.x), ("y", self.y)):
            for v in values:
                if not (isinstance(v, int | float) and math.isfinite(v) and 0.0 <= v <= 1.0):
                    raise CalibrationError(
                        f"calibration {self.version}: {name} value {v!r} is not a number in 0..1"
                    )
        if any(b < a for a, b in zip(self.x, self.x[1:], strict=False)):
            raise CalibrationError(f"calibration {self.version}: x must not decrease")
        if any(b < a for a, b in zip(self.y, self.y[1:], strict=False)):
            raise CalibrationError(
                f"calibration {self.version}: y must not decrease (a calibration may not "
                "reorder listings)"
            )

    def __call__(self, raw: float) -> float:
        x, y = self.x, self.y
        if raw <= x[0]:
            return y[0]
        if raw >= x[-1]:
            return y[-1]
        i = bisect_right(x, raw)  # x[i-1] <= raw < x[i]
        x0, x1 = x[i - 1], x[i]
        if x1 == x0:
            return y[i]
        return y[i - 1] + (y[i] - y[i - 1]) * (raw - x0) / (x1 - x0)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "version": self.version,
                "x": list(self.x),
                "y": list(self.y),
                "fitted": self.fitted,
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str, *, source: str = "calibration") -> Calibration:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CalibrationError(f"{source}: not JSON ({exc})") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise CalibrationError(f"{source}: not a {FORMAT} file (format key missing or other)")
        try:
            return cls(
                str(data["version"]),
                tuple(data["x"]),
                tuple(data["y"]),
                dict(data.get("fitted") or {}),
            )
        except (KeyError, TypeError) as exc:
            raise CalibrationError(f"{source}: missing or malformed key {exc}") from exc
