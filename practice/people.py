"""People as the practice names them: "Uma Okafor", not the username she signs in with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def person_name(user: AbstractBaseUser | None) -> str:
    """The user's full name, or their username when they have given no name; "" for nobody."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


class PersonChoiceField(forms.ModelChoiceField):
    """A dropdown of staff that shows each by name."""

    def label_from_instance(self, obj: AbstractBaseUser) -> str:
        return person_name(obj)
