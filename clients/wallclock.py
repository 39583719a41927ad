"""Wall-clock times in a practice's zone, where a time may not exist or may happen twice.

Appointments are instants (stored in UTC, with arithmetic in real minutes); a wall-clock time is only
what a person types or reads. Turning one into the other is the only place the clock changes matter:
a time in the spring gap (the clocks go forward) does not exist, and one in the autumn overlap (they go
back) happens twice. Both are refused with a message saying so and what to choose instead, never guessed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

UTC = datetime.UTC
Occurrence = Literal["first", "second"]
OCCURRENCES: tuple[Occurrence, ...] = ("first", "second")


def _as_utc(local: datetime.datetime) -> datetime.datetime:
    return local.astimezone(UTC)


def offset_text(moment: datetime.datetime) -> str:
    """``+01:00`` for a moment an hour ahead of UTC."""
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def describe(moment: datetime.datetime) -> str:
    """``01:30 BST (+01:00)``: a local time with its zone's abbreviation and offset, as a person reads it."""
    name = moment.tzname() or ""
    offset = offset_text(moment)
    return f"{moment:%H:%M} {name} ({offset})" if name and name != offset else f"{moment:%H:%M} ({offset})"


def day_text(moment: datetime.date) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


@dataclass(frozen=True)
class Reading:
    """What a wall-clock time is in a zone: one instant, two (an overlap) or none (a gap).

    ``candidates`` are the times the same clock reading would mean on either side of the change, as
    local moments (with ``fold`` set): for an overlap the first and the second occurrence; for a gap the
    reading taken with the offset after the change and with the one before it, earliest first.
    """

    wall: datetime.datetime  # naive
    zone: datetime.tzinfo
    kind: Literal["ok", "gap", "overlap"]
    candidates: tuple[datetime.datetime, ...]

    @property
    def change(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The clock change as the clocks read just before it and just after it (naive): 01:00 and 02:00."""
        earlier, later = self.candidates
        # The change is the first instant between the two candidates with the later one's offset.
        low, high = _as_utc(earlier), _as_utc(later)
        while high - low > datetime.timedelta(seconds=1):
            middle = low + (high - low) / 2
            if middle.astimezone(self.zone).utcoffset() == later.utcoffset():
                high = middle
            else:
                low = middle
        instant = high.replace(microsecond=0)
        before = (instant + earlier.utcoffset()).replace(tzinfo=None)
        after = (instant + later.utcoffset()).replace(tzinfo=None)
        return before, after


def read(wall: datetime.datetime, zone: datetime.tzinfo) -> Reading:
    """Read a naive wall-clock time in ``zone`` (PEP 495: ``fold`` picks between two readings)."""
    wall = wall.replace(tzinfo=None, fold=0)
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return Reading(wall, zone, "ok", (first,))
    if _as_utc(first).astimezone(zone).replace(tzinfo=None) == wall:
        return Reading(wall, zone, "overlap", (first, second))
    # In a gap: fold=1 takes the offset after the change (an earlier instant), fold=0 the one before.
    earlier, later = sorted((first, second), key=_as_utc)
    return Reading(wall, zone, "gap", (_as_utc(earlier).astimezone(zone), _as_utc(later).astimezone(zone)))


def gap_message(reading: Reading) -> str:
    before, after = reading.change
    earlier, later = reading.candidates
    return _(
        "The clocks go forward from %(before)s to %(after)s on %(day)s, so %(time)s does not exist that day. "
        "The nearest valid times are %(earlier)s and %(later)s."
    ) % {
        "before": f"{before:%H:%M}",
        "after": f"{after:%H:%M}",
        "day": day_text(reading.wall.date()),
        "time": f"{reading.wall:%H:%M}",
        "earlier": describe(earlier),
        "later": describe(later),
    }


def overlap_message(reading: Reading) -> str:
    first, second = reading.candidates
    before, after = reading.change
    return _(
        "%(time)s on %(day)s happens twice: the clocks go back from %(before)s to %(after)s. "
        "Choose which: the first, %(first)s, or the second, %(second)s."
    ) % {
        "time": f"{reading.wall:%H:%M}",
        "day": day_text(reading.wall.date()),
        "before": f"{before:%H:%M}",
        "after": f"{after:%H:%M}",
        "first": describe(first),
        "second": describe(second),
    }


def refusal(reading: Reading, field: str = "starts_at") -> ValidationError:
    if reading.kind == "gap":
        return ValidationError({field: [ValidationError(gap_message(reading), code="nonexistent")]})
    return ValidationError({field: [ValidationError(overlap_message(reading), code="ambiguous")]})


def to_instant(
    wall: datetime.datetime, zone: datetime.tzinfo, *, occurrence: Occurrence | None = None, field: str = "starts_at"
) -> datetime.datetime:
    """The instant (in UTC) a person means by ``wall`` in ``zone``; a ``ValidationError`` on ``field`` when it
    does not exist, or when it happens twice and ``occurrence`` does not say which."""
    reading = read(wall, zone)
    if reading.kind == "ok":
        return _as_utc(reading.candidates[0])
    if reading.kind == "overlap" and occurrence in OCCURRENCES:
        return _as_utc(reading.candidates[OCCURRENCES.index(occurrence)])
    raise refusal(reading, field)


def checked_instant(moment: datetime.datetime, *, field: str = "starts_at") -> datetime.datetime:
    """An aware moment as an instant in UTC. A wall-clock time in a zone with clock changes (a ``ZoneInfo``
    datetime) must exist and happen once there: its ``fold`` is a default a caller rarely chose."""
    reading = read(moment, moment.tzinfo)
    if reading.kind != "ok":
        raise refusal(reading, field)
    return _as_utc(moment)


def clock_text(moment: datetime.datetime, zone: datetime.tzinfo) -> str:
    """``09:00``, or ``01:30 GMT`` where that reading happens twice: a local time as a person should read it."""
    local = moment.astimezone(zone)
    return f"{local:%H:%M} {local.tzname()}" if occurrence_of(moment, zone) else f"{local:%H:%M}"


def occurrence_of(moment: datetime.datetime, zone: datetime.tzinfo) -> Occurrence | None:
    """Which of two same clock readings an instant is in ``zone`` (None when its reading happens once)."""
    local = moment.astimezone(zone)
    reading = read(local.replace(tzinfo=None), zone)
    if reading.kind != "overlap":
        return None
    return "second" if local.fold else "first"
