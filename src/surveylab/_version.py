"""The version of the surveylab distribution (read by hatch)."""

__version__ = "0.1.0"
