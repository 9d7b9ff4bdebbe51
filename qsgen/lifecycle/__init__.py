"""The result's lifecycle (DESIGN.md §6): the year's status, the working-day calendar, objections and answers, the final manifest and corrections."""

from qsgen.lifecycle.check import evaluate

__all__ = ["evaluate"]
