"""Model fields the practice's apps share."""

from __future__ import annotations

from typing import Any

from django.db import models


def normalised_email(value: str) -> str:
    """The one normal form of an email address for matching: surrounding space removed, lowercase."""
    return value.strip().lower()


class NormalisedEmailField(models.EmailField):
    """An email address kept, compared and looked up in its normal form (``normalised_email``).

    Normalising in ``to_python`` means a form's unique check sees the stored form, so a
    differently-cased duplicate is a form error rather than a database error; normalising in
    ``get_prep_value`` means ``filter(email="Cara@Example.org")`` finds ``cara@example.org``.
    """

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return normalised_email(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return normalised_email(value) if isinstance(value, str) else value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = normalised_email(value)
            setattr(model_instance, self.attname, value)
        return value
