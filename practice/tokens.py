"""Opaque tokens in newsletter links, signed rather than stored so nothing secret sits in the database.

An unsubscribe token never expires (RFC 8058 links must keep working); a confirmation token
lasts a week. Both name only a subscriber id, under a salt of their own, so one kind cannot
stand in for the other.
"""

from __future__ import annotations

from django.core import signing

UNSUBSCRIBE_SALT = "practice.subscriber.unsubscribe"
CONFIRM_SALT = "practice.subscriber.confirm"
CONFIRM_MAX_AGE = 7 * 24 * 60 * 60


def unsubscribe_token(subscriber_id: int) -> str:
    return sign_id(subscriber_id, UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> int | None:
    return read_id(token, UNSUBSCRIBE_SALT)


def confirm_token(subscriber_id: int) -> str:
    return sign_id(subscriber_id, CONFIRM_SALT)


def read_confirm_token(token: str) -> int | None:
    return read_id(token, CONFIRM_SALT, CONFIRM_MAX_AGE)


def sign_id(value: int, salt: str) -> str:
    """An opaque token naming one id under ``salt``; other apps use their own salt."""
    return signing.dumps(value, salt=salt, compress=False)


def read_id(token: str, salt: str, max_age: int | None = None) -> int | None:
    """The id in a token signed with ``salt``, or None for anything forged, altered, expired or odd."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
