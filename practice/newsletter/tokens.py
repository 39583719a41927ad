"""Tokens in newsletter links, signed rather than stored.

An unsubscribe token never expires (RFC 8058 links must keep working); a confirmation token
lasts a week. The salts keep their original names so links already sent keep working.
"""

from __future__ import annotations

from practice.tokens import read_id, sign_id

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
