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
    return signing.dumps(subscriber_id, salt=UNSUBSCRIBE_SALT, compress=False)


def read_unsubscribe_token(token: str) -> int | None:
    return _read(token, UNSUBSCRIBE_SALT, None)


def confirm_token(subscriber_id: int) -> str:
    return signing.dumps(subscriber_id, salt=CONFIRM_SALT, compress=False)


def read_confirm_token(token: str) -> int | None:
    return _read(token, CONFIRM_SALT, CONFIRM_MAX_AGE)


def _read(token: str, salt: str, max_age: int | None) -> int | None:
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
