"""What ``compare`` trains: the architectures, segment lengths and seeds."""

from __future__ import annotations

from dataclasses import dataclass

from forecast.config import AUTO, FitOptions
from forecast.errors import ForecastError
from forecast.models.registry import REGISTRY

DEFAULT_MODELS = ("rnn", "lstm", "gru", "hybrid")


def parse_models(text: str | None) -> list[str]:
    """``"rnn,lstm"`` → ``["rnn", "lstm"]``, each checked against the registry."""
    names = [m.strip() for m in (text or ",".join(DEFAULT_MODELS)).split(",") if m.strip()]
    unknown = [m for m in names if m not in REGISTRY]
    if unknown or not names:
        raise ForecastError(
            f"--models {text!r}: unknown model(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {','.join(REGISTRY)}"
        )
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class ComparePlan:
    """What ``compare`` trains: every architecture in ``models`` at every segment length in
    ``segments`` (1: point-wise; the linear model only point-wise), ``seeds`` seeds each."""

    models: list[str]
    seeds: int = 3
    segments: tuple[int, ...] | str = AUTO  # "1,7", or auto: chosen from the season

    def resolved(self, options: FitOptions, season: int) -> ComparePlan:
        """The plan with ``segments`` as numbers (``parse_segments``)."""
        return ComparePlan(self.models, self.seeds, parse_segments(self.segments, options, season))

    def cells(self) -> list[tuple[str, int]]:
        """``(architecture, segment)`` pairs in table order."""
        return [
            (name, s)
            for name in self.models
            for s in (self.segments if REGISTRY[name].recurrent else (1,))
        ]


def cell_name(name: str, segment: int) -> str:
    """A row's name: ``gru`` point-wise, ``gru-seg7`` with 7-row segments."""
    return name if segment == 1 else f"{name}-seg{segment}"


def parse_segments(text: str | None, options: FitOptions, season: int) -> tuple[int, ...]:
    """``--segments``: ``"1,7"``, or ``auto``: point-wise and, once the window spans two seasons,
    segments of one season (so the classic comparison is answered both ways)."""
    if isinstance(text, tuple):
        text = ",".join(map(str, text))
    if text in (None, AUTO) and options.segment not in (1, AUTO):  # --segment S: that one only
        text = str(options.segment)
    if text in (None, AUTO):
        return (1, season) if season >= 2 and options.window >= 2 * season else (1,)
    try:
        values = tuple(dict.fromkeys(int(v) for v in str(text).split(",") if v.strip()))
    except ValueError:
        values = ()
    if not values or any(v < 1 or v > options.window for v in values):
        raise ForecastError(
            f"--segments {text!r} must be segment lengths between 1 and the window "
            f"({options.window}), e.g. --segments 1,{max(2, min(season, options.window))}"
        )
    return values
