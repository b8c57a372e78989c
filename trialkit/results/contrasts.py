"""What a row's estimate compares: a typed value whose label is written here, once.

The ARD's ``contrast`` column holds :attr:`Contrast.label`; the report asks for rows by a Contrast made
from the configuration (``Contrast.change(endpoint, baseline)``), never by text of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Contrast:
    """``change``: a visit minus the baseline visit (``terms``: visit, baseline), e.g. "Week 5 - Baseline".
    ``interaction``: the visit x factor interaction test (``terms``: factor), e.g. "visit x SEX".
    ``slope``: a model coefficient per unit of a numeric term (``terms``: term, unit), e.g. "baseline (per
    category)". ``level``: a level of a factor against its reference level (``terms``: factor, level,
    reference), e.g. "SITE 2 vs 1". ``term``: a model term as a whole, all its levels (``terms``: term), e.g.
    "SITE (all levels)". ``shift``: the category at one visit against that at another (``terms``: from, to),
    e.g. "Baseline -> Week 5". ``across``: the visits compared by an omnibus test (``terms``: the visits in
    order), e.g. "Baseline to Week 5 (6 visits)".

    A new kind (an arm's LS mean, arm - control, dose response, visit-averaged) is a new ``kind`` with its
    constructor and its branch of :attr:`label`.
    """

    kind: Literal["change", "interaction", "slope", "level", "term", "shift", "across"]
    terms: tuple[str, ...]

    @classmethod
    def change(cls, visit: str, baseline: str) -> Contrast:
        return cls("change", (visit, baseline))

    @classmethod
    def interaction(cls, factor: str) -> Contrast:
        return cls("interaction", (factor,))

    @classmethod
    def slope(cls, term: str, unit: str) -> Contrast:
        return cls("slope", (term, unit))

    @classmethod
    def level(cls, factor: str, level: str, reference: str) -> Contrast:
        return cls("level", (factor, level, reference))

    @classmethod
    def term(cls, term: str) -> Contrast:
        return cls("term", (term,))

    @classmethod
    def shift(cls, start: str, end: str) -> Contrast:
        return cls("shift", (start, end))

    @classmethod
    def across(cls, visits) -> Contrast:
        return cls("across", tuple(visits))

    @property
    def label(self) -> str:
        """The text of the ARD's ``contrast`` column.

        >>> Contrast.change("Week 5", "Baseline").label, Contrast.interaction("SEX").label
        ('Week 5 - Baseline', 'visit x SEX')
        >>> Contrast.slope("baseline", "category").label, Contrast.level("SITE", "2", "1").label
        ('baseline (per category)', 'SITE 2 vs 1')
        >>> Contrast.term("SITE").label, Contrast.shift("Baseline", "Week 5").label
        ('SITE (all levels)', 'Baseline -> Week 5')
        >>> Contrast.across(["Baseline", "Week 1", "Week 2"]).label
        'Baseline to Week 2 (3 visits)'
        """
        if self.kind == "change":
            visit, baseline = self.terms
            return f"{visit} - {baseline}"
        if self.kind == "interaction":
            (factor,) = self.terms
            return f"visit x {factor}"
        if self.kind == "slope":
            term, unit = self.terms
            return f"{term} (per {unit})"
        if self.kind == "level":
            factor, level, reference = self.terms
            return f"{factor} {level} vs {reference}"
        if self.kind == "term":
            (term,) = self.terms
            return f"{term} (all levels)"
        if self.kind == "shift":
            start, end = self.terms
            return f"{start} -> {end}"
        return f"{self.terms[0]} to {self.terms[-1]} ({len(self.terms)} visits)"
