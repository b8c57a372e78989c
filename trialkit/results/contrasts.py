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
               "cmh", "stratified", "slope", "level", "term", "shift", "across", "arms_test"]


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
    ``slope``: a model coefficient per unit of a numeric term, e.g. "baseline (per category)".
    ``level``: a level of a factor against its reference level, e.g. "SITE 2 vs 1".
    ``term``: a model term as a whole, all its levels, e.g. "SITE (all levels)".
    ``shift``: the category at one visit against that at another, e.g. "Baseline -> Week 5".
    ``across``: the visits compared by an omnibus test, e.g. "Baseline to Week 5 (6 visits)".
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
        >>> Contrast.slope("baseline", "category").label, Contrast.level("SITE", "2", "1").label
        ('baseline (per category)', 'SITE 2 vs 1')
        >>> Contrast.term("SITE").label, Contrast.shift("Baseline", "Week 5").label
        ('SITE (all levels)', 'Baseline -> Week 5')
        >>> Contrast.across(["Baseline", "Week 1", "Week 2"]).label
        'Baseline to Week 2 (3 visits)'
        """
        terms = self.terms
        labels = {
            "change": lambda: f"{terms[0]} - {terms[1]}",
            "difference": lambda: f"{terms[0]} - {terms[1]}",
            "interaction": lambda: f"visit x {terms[0]}",
            "arm": lambda: terms[0],
            "dose_response": lambda: "dose response",
            "arm_average": lambda: f"{terms[0]} {AVERAGE}",
            "difference_average": lambda: f"{terms[0]} - {terms[1]} {AVERAGE}",
            "cmh": lambda: CMH_TESTS[terms[0]],
            "stratified": lambda: f"{terms[0]} vs {terms[1]} (CMH)",
            "slope": lambda: f"{terms[0]} (per {terms[1]})",
            "level": lambda: f"{terms[0]} {terms[1]} vs {terms[2]}",
            "term": lambda: f"{terms[0]} (all levels)",
            "shift": lambda: f"{terms[0]} -> {terms[1]}",
            "across": lambda: f"{terms[0]} to {terms[-1]} ({len(terms)} visits)",
            "arms_test": lambda: ARMS_TESTS[terms[0]],
        }
        return labels[self.kind]()
