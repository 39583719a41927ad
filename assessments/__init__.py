"""A reusable questionnaire engine for Django: instruments, versions, scoring, FHIR."""
