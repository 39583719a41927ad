"""Opaque signed tokens naming one id, so that nothing secret sits in the database.

Each use has a salt of its own (the newsletter's unsubscribe and confirmation links, the clients'
stop links), so one kind of token cannot stand in for another.
"""

from __future__ import annotations

from django.core import signing


def sign_id(value: int, salt: str) -> str:
    """An opaque token naming one id under ``salt``."""
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
