"""Figures (:mod:`~mirmodules.report.plots`) and the self-contained HTML page
(:mod:`~mirmodules.report.html`)."""
