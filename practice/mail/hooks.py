"""What the outbox asks of the apps that queue mail, and what it tells them.

The outbox knows messages and batches, never what they are about. An app that queues mail
registers a *personaliser* per purpose: called just before a message is handed to the mail
server, it says whether the message is still wanted and fills in its private link. And it
listens to the signals below to follow what happened to its batches and recipients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from django.dispatch import Signal

if TYPE_CHECKING:
    from django.db.models import QuerySet

#: Stands in a stored body for a private link that a personaliser fills in at send time.
LINK_PLACEHOLDER = "https://private-link.tandem.invalid/"
#: Stands in a batch's shared body for each recipient's own address, filled in at send time.
RECIPIENT_PLACEHOLDER = "recipient@placeholder.tandem.invalid"

#: ``mint(object_id)`` returns the link to put where the body has ``LINK_PLACEHOLDER`` ("" when the
#: message carries none), or a mapping of placeholders of its own to what replaces them in the bodies and
#: headers, or None when the message is no longer wanted and must not go.
Personaliser = Callable[[int | None], "str | Mapping[str, str] | None"]

#: ``still_wanted()`` returns a queryset of the objects whose messages may still go (confirmed subscribers,
#: say). The outbox folds ``EXISTS (… WHERE pk = personalise_id)`` into the very UPDATE that marks a message
#: as being handed to the server, so the check costs no query of its own and runs at the last moment.
StillWanted = Callable[[], "QuerySet"]

_PERSONALISERS: dict[str, Personaliser] = {}
_STILL_WANTED: dict[str, StillWanted] = {}

#: Sent with ``batch`` when none of its messages is open any more (in the transaction that says so).
batch_finished = Signal()
#: Sent with ``batch`` when a retry reopens a finished batch.
batch_reopened = Signal()
#: Sent with ``message`` when the recipient's server refuses the address for good (a hard bounce).
message_bounced = Signal()


class PersonaliseError(Exception):
    """A row names a personaliser nobody registered."""


def register_personaliser(name: str, mint: Personaliser, *, still_wanted: StillWanted | None = None) -> None:
    """Let another app decide at send time whether its messages still go, and fill in their links.

    ``mint`` may answer None (not wanted); ``still_wanted``, when given, is checked too, in SQL, in the
    statement just before the message is handed to the mail server.
    """
    _PERSONALISERS[name] = mint
    if still_wanted is None:
        _STILL_WANTED.pop(name, None)
    else:
        _STILL_WANTED[name] = still_wanted


def personaliser(name: str) -> Personaliser:
    try:
        return _PERSONALISERS[name]
    except KeyError:
        raise PersonaliseError(f"No personaliser named {name!r} is registered.") from None


def still_wanted(name: str) -> QuerySet | None:
    """The queryset of objects whose ``name`` messages may still go, or None when the personaliser gives none."""
    wanted = _STILL_WANTED.get(name)
    return None if wanted is None else wanted()
