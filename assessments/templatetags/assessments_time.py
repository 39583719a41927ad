"""How long something took, as a person says it: "25 seconds", "4 minutes", "1 hour 5 minutes"."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import gettext, ngettext

register = template.Library()


@register.filter
def spoken_duration(value: timedelta | None) -> str:
    if value is None:
        return ""
    seconds = max(0, round(value.total_seconds()))
    if seconds < 60:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = round(seconds / 60)
    if minutes < 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    text = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    if hours < 24 and minutes:
        text = gettext("%(hours)s %(minutes)s") % {
            "hours": text,
            "minutes": ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes},
        }
    return text
