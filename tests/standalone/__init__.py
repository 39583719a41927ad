"""A host project with the questionnaire engine and nothing else of Tandem's."""
