"""Durations as a person says them, not "0:00:25.086851"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assessments.templatetags.assessments_time import spoken_duration


@pytest.mark.parametrize(
    ("value", "spoken"),
    [
        (timedelta(seconds=25.086851), "25 seconds"),
        (timedelta(seconds=1), "1 second"),
        (timedelta(minutes=4, seconds=10), "4 minutes"),
        (timedelta(seconds=61), "1 minute"),
        (timedelta(hours=1, minutes=5), "1 hour 5 minutes"),
        (timedelta(hours=2), "2 hours"),
        (timedelta(days=2, minutes=3), "48 hours"),
        (None, ""),
    ],
)
def test_durations_read_as_a_person_says_them(value, spoken):
    assert spoken_duration(value) == spoken
