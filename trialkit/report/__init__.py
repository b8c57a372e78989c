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

    Raises
    ------
    ConfigError
        ``study.logo`` or the study's ``templates/`` folder leads outside the study folder, or the logo is
        missing or not an image (:mod:`trialkit.confined`).
    TemplateError
        A study's own template has a syntax error, an undefined name, or does what the sandbox refuses
        (:mod:`trialkit.report.sandbox`); the message names the template file and line.
    """
    from trialkit.report.build import build_report
    from trialkit.report.plain_text import plain
    from trialkit.report.render import InProcessExecutor, RenderJob

    from trialkit.confined import study_logo, study_templates

    # checked again here (load_config checked them): the folder may have changed since
    logo = study_logo(config.root, config.study.logo, config_path=config.source) if config.study.logo else None
    templates = study_templates(config.root, config_path=config.source)
    # every text as plain text, in every output: a control character or a bidi override from a data file or
    # study.yaml is shown as its escape (\x1b, \u202e), never reorders or hides what follows it
    job = RenderJob(plain(build_report(ard, findings, config, manifest)), templates, logo)
    return (executor or InProcessExecutor()).render(job)


__all__ = ["render_report"]
