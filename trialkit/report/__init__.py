"""The report: ARD -> typed report (:mod:`~trialkit.report.spec`) -> HTML, PDF and RTF.

One entry point, :func:`render_report`. How the work is spread over processes is the executor's business:
:class:`~trialkit.report.render.InProcessExecutor` (the default) or
:class:`~trialkit.report.processes.TwoProcessExecutor`. Modules are imported on use, so that the render
process can import this package without pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from trialkit.config import StudyConfig
    from trialkit.report.render import ReportOutputs


def render_report(ard: pd.DataFrame, findings: pd.DataFrame, config: StudyConfig, manifest: dict, *,
                  executor=None) -> ReportOutputs:
    """The report of a run: ``report.pdf``, ``report.html`` and each table as ``tables/t_14_x_y.rtf``.

    Parameters
    ----------
    ard : DataFrame
        The results dataset (:func:`trialkit.results.build_ard`).
    findings : DataFrame
        The data findings (:meth:`trialkit.validation.ValidatedStudy.issues_frame`).
    config : StudyConfig
    manifest : dict
        The run's manifest (:func:`trialkit.manifest.build`): run id, inputs, software.
    executor : optional
        Renders the job: :class:`~trialkit.report.render.InProcessExecutor` by default.

    Returns
    -------
    ReportOutputs
        ``files`` (file name -> bytes), and the URLs the PDF's fetcher served (``fetched``) and ``refused``.
    """
    from trialkit.report.build import build_report
    from trialkit.report.render import InProcessExecutor, RenderJob

    logo = (config.root / config.study.logo).resolve() if config.study.logo else None
    study_templates = config.root / "templates"
    job = RenderJob(build_report(ard, findings, config, manifest), study_templates,
                    tuple(p for p in (study_templates, logo) if p is not None))
    return (executor or InProcessExecutor()).render(job)


__all__ = ["render_report"]
