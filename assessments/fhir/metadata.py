"""The questionnaire as a whole: its slug, version, title and texts, each with a sensible fallback."""

from __future__ import annotations

import re
import unicodedata

from assessments.document import UNSTORABLE
from assessments.fhir.primitives import clean
from assessments.fhir.state import ImportState

DEFAULT_SLUG = "imported-questionnaire"
DEFAULT_TITLE = "Imported questionnaire"


def slug(state: ImportState) -> str:
    """A slug from the canonical URL's last part, else the name or id."""
    url = state.resource.get("url")
    candidates = []
    if isinstance(url, str) and not url.lower().startswith("urn:"):
        candidates.append(re.split(r"[|?#]", url)[0].rstrip("/").rsplit("/", 1)[-1])
    candidates.extend(state.resource.get(name) for name in ("name", "id"))
    for candidate in candidates:
        if isinstance(candidate, str) and (found := slugify(candidate)):
            return found
    return DEFAULT_SLUG


def slugify(text: str) -> str:
    """Lowercase letters, digits and single hyphens, splitting CamelCase names ('PHQ9Form' → 'phq9-form')."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:100].strip("-")


def version(state: ImportState) -> str:
    value = state.resource.get("version")
    if value is None:
        return "1"
    if not isinstance(value, str) or not clean(value, 40).strip():
        state.note("version: must be text; '1' was used.")
        return "1"
    if len(value) > 40:
        state.note("version: longer than 40 characters, so it was shortened.")
    return clean(value, 40)


def url(state: ImportState) -> str:
    """The canonical URL, kept as it is so that responses can name the questionnaire other systems know."""
    value = state.resource.get("url")
    if value is None:
        return ""
    if not isinstance(value, str) or not value or any(character.isspace() for character in value):
        state.note("url: must be a URI without spaces; left out.")
        return ""
    if len(value) > 500 or UNSTORABLE.search(value):
        state.note("url: longer than 500 characters (or not storable); left out.")
        return ""
    return value


def title(state: ImportState) -> str:
    for name in ("title", "name"):
        value = state.resource.get(name)
        if isinstance(value, str) and clean(value, 200).strip():
            if len(value) > 200:
                state.note(f"{name}: longer than 200 characters, so the title was shortened.")
            return clean(value, 200)
    return DEFAULT_TITLE


def top_text(state: ImportState, name: str, limit: int) -> str:
    value = state.resource.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        state.note(f"{name}: must be text; left empty.")
        return ""
    if len(value) > limit:
        state.note(f"{name}: longer than {limit} characters, so it was shortened.")
    return clean(value, limit)
