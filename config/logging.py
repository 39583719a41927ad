"""A logging filter that keeps capabilities and addresses out of logs.

A link token in a URL is a key to a client's questionnaire or a subscriber's preferences, and an
email address is personal data; request logs ("Not Found: /newsletter/confirm/<token>/"), runserver's
access lines and exception text all carry URLs. Installed on every handler in ``settings.LOGGING``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

#: URL prefixes followed by a token; everything after one, up to the next slash, is redacted.
#: A new capability link's prefix goes here (tests/security/test_logging.py finds any left out).
TOKEN_PATH_PREFIXES: tuple[str, ...] = (
    "/q/",
    "/newsletter/confirm/",
    "/newsletter/unsubscribe/",
    "/newsletter/preferences/",
    "/email/stop-questionnaires/",
    "/email/stop-appointment-emails/",
    "/admin/two-factor/enrol/",
    "/couple-summary/",
)
REDACTED = "[redacted]"
REDACTED_EMAIL = "[email]"

_TOKEN_PATH = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in TOKEN_PATH_PREFIXES) + r")[^/\s?#\"'<>]+",
)
_TOKEN_PARAMETER = re.compile(r"(?i)\b((?:token|key|secret|password)=)[^&\s\"'<>]+")
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+(?:@|%40)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+",
)


def redact(text: str) -> str:
    """``text`` without link tokens, secret-looking query parameters or email addresses."""
    text = _TOKEN_PATH.sub(lambda m: m.group(1) + REDACTED, text)
    text = _TOKEN_PARAMETER.sub(lambda m: m.group(1) + REDACTED, text)
    return _EMAIL.sub(REDACTED_EMAIL, text)


class RedactFilter(logging.Filter):
    """Rewrite a record's message (arguments merged in) and its exception text, redacted.

    The message is formatted here, once, so a token passed as an argument is caught too;
    the record then carries no arguments for a handler to merge back in. Records of the loggers in
    ``unredacted`` pass as they are: in development (only) the settings name the one the worker's
    printed output goes to, so an email printed by the console backend shows its link and recipient.
    """

    _formatter = logging.Formatter()

    def __init__(self, unredacted: Iterable[str] = ()) -> None:
        super().__init__()
        self.unredacted = frozenset(unredacted)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in self.unredacted:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's to report, not ours to hide
            return True
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class DropMessages(logging.Filter):
    """Drop a logger's records that start with one of ``prefixes``: notices that tell a user nothing."""

    def __init__(self, prefixes: Iterable[str] = ()) -> None:
        super().__init__()
        self.prefixes = tuple(prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefixes)
