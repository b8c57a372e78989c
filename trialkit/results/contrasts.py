"""What a row's estimate compares: a typed value whose label is written here, once.

The ARD's ``contrast`` column holds :attr:`Contrast.label`; the report asks for rows by a Contrast made
from the configuration (``Contrast.change(endpoint, baseline)``), never by text of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: the label of each CMH statistic (SAS PROC FREQ's names), by :data:`trialkit.stats.cmh.TESTS` name
CMH_TESTS = {"correlation": "CMH nonzero correlation", "row_mean_scores": "CMH row mean scores differ",
             "general_association": "CMH general association"}
AVERAGE = "(average of visits)"
#: the label of each test of a baseline characteristic across the arms, by :class:`trialkit.stats.GroupTest` method
ARMS_TESTS = {"anova": "arms (one-way ANOVA)", "chisq": "arms (Pearson chi-square)"}

Kind = Literal["change", "interaction", "arm", "difference", "dose_response", "arm_average", "difference_average",
               "cmh", "stratified", "arms_test"]


@dataclass(frozen=True)
class Contrast:
    """What an estimate compares; ``terms`` are display labels (visits, arm labels, a factor).

    ``change``: a visit minus the baseline visit, e.g. "Week 5 - Baseline".
    ``interaction``: the visit x factor interaction test, e.g. "visit x SEX".
    ``arm``: an arm's LS mean, named by its label, e.g. "Drug 200 mg".
    ``difference``: an arm minus another (the control, or an earlier arm), e.g. "Drug 200 mg - Placebo".
    ``dose_response``: the dose as a continuous term in place of the arm: "dose response".
    ``arm_average``, ``difference_average``: the same over the visits, e.g. "Drug 200 mg (average of visits)".
    ``cmh``: a CMH statistic of arm x response, e.g. "CMH general association".
    ``stratified``: the CMH test of an arm against another, e.g. "Drug 200 mg vs Placebo (CMH)".
    ``arms_test``: a baseline characteristic compared across the arms, e.g. "arms (one-way ANOVA)".
    """

    kind: Kind
    terms: tuple[str, ...]

    @classmethod
    def change(cls, visit: str, baseline: str) -> Contrast:
        return cls("change", (visit, baseline))

    @classmethod
    def interaction(cls, factor: str) -> Contrast:
        return cls("interaction", (factor,))

    @classmethod
    def arm(cls, arm: str) -> Contrast:
        return cls("arm", (arm,))

    @classmethod
    def difference(cls, arm: str, reference: str) -> Contrast:
        return cls("difference", (arm, reference))

    @classmethod
    def dose_response(cls) -> Contrast:
        return cls("dose_response", ())

    @classmethod
    def arm_average(cls, arm: str) -> Contrast:
        return cls("arm_average", (arm,))

    @classmethod
    def difference_average(cls, arm: str, reference: str) -> Contrast:
        return cls("difference_average", (arm, reference))

    @classmethod
    def cmh(cls, test: str) -> Contrast:
        if test not in CMH_TESTS:
            raise ValueError(f"CMH test {test!r}: one of {list(CMH_TESTS)}")
        return cls("cmh", (test,))

    @classmethod
    def stratified(cls, arm: str, reference: str) -> Contrast:
        return cls("stratified", (arm, reference))

    @classmethod
    def arms_test(cls, method: str) -> Contrast:
        if method not in ARMS_TESTS:
            raise ValueError(f"test across arms {method!r}: one of {list(ARMS_TESTS)}")
        return cls("arms_test", (method,))

    @property
    def label(self) -> str:
        """The text of the ARD's ``contrast`` column.

        >>> Contrast.change("Week 5", "Baseline").label, Contrast.interaction("SEX").label
        ('Week 5 - Baseline', 'visit x SEX')
        >>> Contrast.difference("Drug 200 mg", "Placebo").label, Contrast.arm_average("Placebo").label
        ('Drug 200 mg - Placebo', 'Placebo (average of visits)')
        >>> Contrast.dose_response().label, Contrast.cmh("general_association").label
        ('dose response', 'CMH general association')
        """
        terms = self.terms
        if self.kind in ("change", "difference"):
            return f"{terms[0]} - {terms[1]}"
        if self.kind == "interaction":
            return f"visit x {terms[0]}"
        if self.kind == "arm":
            return terms[0]
        if self.kind == "dose_response":
            return "dose response"
        if self.kind == "arm_average":
            return f"{terms[0]} {AVERAGE}"
        if self.kind == "difference_average":
            return f"{terms[0]} - {terms[1]} {AVERAGE}"
        if self.kind == "cmh":
            return CMH_TESTS[terms[0]]
        if self.kind == "arms_test":
            return ARMS_TESTS[terms[0]]
        return f"{terms[0]} vs {terms[1]} (CMH)"
