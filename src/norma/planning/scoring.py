"""Risk bands on the 5×5 matrix: which scores count as low, medium, high or critical.

The bands are configurable (NORMA_RISK_BANDS, e.g. "Low:1-4,Medium:5-9,High:10-16,
Critical:20-25"), checked at start-up to cover every score from 1 to 25 once.
"""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db.models import Case, CharField, Value, When

SCALE = range(1, 6)
FILLS = ["#d8f0e0", "#fdf0c4", "#fbd5b5", "#f4c2bf", "#e9b3c9"]  # lightest to strongest


@dataclass(frozen=True)
class Band:
    name: str
    low: int
    high: int
    fill: str

    def holds(self, score: int) -> bool:
        return self.low <= score <= self.high


def parse_bands(text: str) -> list[Band]:
    """ "Low:1-4,Medium:5-9" → bands; ValueError naming the problem otherwise."""
    bands = []
    for i, part in enumerate(p.strip() for p in text.split(",") if p.strip()):
        name, _, limits = part.partition(":")
        low, _, high = limits.partition("-")
        if not (name.strip() and low.strip().isdigit() and high.strip().isdigit()):
            raise ValueError(f"'{part}' is not written as Name:low-high (e.g. Low:1-4).")
        bands.append(Band(name.strip(), int(low), int(high), FILLS[min(i, len(FILLS) - 1)]))
    scores = sorted({x * y for x in SCALE for y in SCALE})
    for score in scores:
        holding = [b.name for b in bands if b.holds(score)]
        if len(holding) != 1:
            where = " and ".join(holding) if holding else "no band"
            raise ValueError(f"A score of {score} falls in {where}; it must fall in exactly one.")
    return bands


@cache
def bands() -> list[Band]:
    return parse_bands(settings.NORMA_RISK_BANDS)


def band_of(score: int | None) -> Band | None:
    if score is None:
        return None
    return next((b for b in bands() if b.holds(score)), None)


def band_expression(field: str):
    """The band's name, computed in the database so lists can show and sort by it."""
    return Case(
        *(When(**{f"{field}__range": (b.low, b.high)}, then=Value(b.name)) for b in bands()),
        default=Value(""),
        output_field=CharField(),
    )


def needs_action(score: int) -> bool:
    """Risks scoring this high must have treatment actions (6.1.2)."""
    return score >= settings.NORMA_RISK_ACTION_SCORE
