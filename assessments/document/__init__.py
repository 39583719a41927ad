"""Tandem's JSON format for one instrument version (see :mod:`assessments.document.parsing`)."""

from assessments.document.parsing import *  # noqa: F403
