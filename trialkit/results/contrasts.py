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

    A new kind (an arm's LS mean, arm - control, dose response, visit-averaged) is a new ``kind`` with its
    constructor and its branch of :attr:`label`.
    """

    kind: Literal["change", "interaction"]
    terms: tuple[str, ...]

    @classmethod
    def change(cls, visit: str, baseline: str) -> Contrast:
        return cls("change", (visit, baseline))

    @classmethod
    def interaction(cls, factor: str) -> Contrast:
        return cls("interaction", (factor,))

    @property
    def label(self) -> str:
        """The text of the ARD's ``contrast`` column.

        >>> Contrast.change("Week 5", "Baseline").label, Contrast.interaction("SEX").label
        ('Week 5 - Baseline', 'visit x SEX')
        """
        if self.kind == "change":
            visit, baseline = self.terms
            return f"{visit} - {baseline}"
        (factor,) = self.terms
        return f"visit x {factor}"
