"""FHIR R4 Questionnaire import and export (see :mod:`assessments.fhir.importer`)."""

from assessments.fhir.importer import *  # noqa: F403
