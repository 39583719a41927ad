"""Use cases of the questionnaire engine: import, export, publish, new version, retire, score.

Every write is atomic: an import that fails half-way leaves nothing behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

from django.apps import apps as global_apps
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import document, scoring
from assessments.document import DocumentError, Problem
from assessments.models import InstrumentStatus, InstrumentVersion, Item

MAX_IMPORT_BYTES = 2 * 1024 * 1024


def document_load(raw: bytes | str | dict) -> tuple[dict[str, Any], list[str]]:
    """Read our JSON format or a FHIR Questionnaire; return the parsed document and any warnings."""
    if isinstance(raw, bytes | str):
        if len(raw) > MAX_IMPORT_BYTES:
            raise DocumentError([Problem("$", _("The file is larger than 2 MB."))])
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # RecursionError: deep nesting
            raise DocumentError([Problem("$", _("This is not valid JSON: %(error)s") % {"error": exc})]) from exc
    else:
        data = raw
    warnings: list[str] = []
    if isinstance(data, dict) and "resourceType" in data:
        from assessments import fhir

        data, warnings = fhir.questionnaire_to_document(data)
    return document.parse(data), warnings


@transaction.atomic
def version_create_from_document(doc: dict[str, Any], *, apps=global_apps, owner_id: Any = None) -> InstrumentVersion:
    """Create a new draft version (and the instrument, if new) from a parsed document.

    ``apps`` lets a data migration pass its historical models (from before the owner field, too). A new
    instrument belongs to ``owner_id`` (None: the library); an existing one keeps its owner.
    """
    Instrument = apps.get_model("assessments", "Instrument")
    Version = apps.get_model("assessments", "InstrumentVersion")
    AnswerScale = apps.get_model("assessments", "AnswerScale")
    ItemModel = apps.get_model("assessments", "Item")
    AnswerOption = apps.get_model("assessments", "AnswerOption")
    Scale = apps.get_model("assessments", "Scale")
    Band = apps.get_model("assessments", "Band")

    instrument, _created = Instrument.objects.select_for_update().get_or_create(
        slug=doc["slug"], defaults={"title": doc["title"], **({"owner_id": owner_id} if owner_id is not None else {})}
    )
    number = (instrument.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = Version.objects.create(
        instrument=instrument,
        number=number,
        label=doc["version"],
        title=doc["title"],
        description=doc["description"],
        instructions=doc["instructions"],
        copyright=doc["copyright"],
        # Only when given: the data migrations that install library documents run before the fields exist.
        **({"url": doc["url"]} if doc.get("url") else {}),
        **({"couples": True} if doc.get("couples") else {}),
    )
    scales_by_key = {}
    for answer_scale in doc["answer_scales"]:
        row = AnswerScale.objects.create(version=version, key=answer_scale["key"], label=answer_scale["label"])
        _create_options(AnswerOption, answer_scale["options"], answer_scale=row)
        scales_by_key[answer_scale["key"]] = row
    items_by_key = {}
    for order, item in enumerate(doc["items"]):
        risk = next((risk for risk in doc["risk_items"] if risk["item"] == item["key"]), None)
        row = ItemModel.objects.create(
            version=version,
            order=order,
            key=item["key"],
            type=item["type"],
            text=item["text"],
            required=item["required"],
            reverse_keyed=item["reverse_keyed"],
            answer_scale=scales_by_key.get(item["answer_scale"]),
            min_value=item["min"],
            max_value=item["max"],
            enable_when=item["enable_when"],
            risk_threshold=risk["threshold"] if risk else None,
            risk_label=risk["label"] if risk else "",
            **({"healthy": item["healthy"]} if item.get("healthy") else {}),
        )
        _create_options(AnswerOption, item["options"], item=row)
        items_by_key[item["key"]] = row
    for order, scale in enumerate(doc["scales"]):
        row = Scale.objects.create(
            version=version,
            order=order,
            key=scale["key"],
            label=scale["label"],
            is_total=scale["total"],
            method=scale["method"],
            max_missing=scale["max_missing"],
            clinical_cutoff=scale["clinical_cutoff"],
            higher_is_worse=scale["higher_is_worse"],
            reference_sd=scale["reference_sd"],
            reliability=scale["reliability"],
            **_reliable_change_fields(Scale, scale),
        )
        row.items.set([items_by_key[key] for key in scale["items"]])
        Band.objects.bulk_create(
            [
                Band(
                    scale=row,
                    low=band["low"],
                    high=band["high"],
                    label=band["label"],
                    severity=band["severity"],
                    meaning=band["meaning"],
                )
                for band in scale["bands"]
            ]
        )
    return version


def _reliable_change_fields(model, scale: dict[str, Any]) -> dict[str, Any]:
    """A scale's published reliable-change threshold as row fields; a data migration older than the fields
    (whose historical model lacks them) keeps it in the frozen definition only."""
    if not any(field.name == "reliable_change_threshold" for field in model._meta.get_fields()):
        return {}
    criterion = scale.get("reliable_change") or {}
    return {
        "reliable_change_threshold": criterion.get("threshold"),
        "reliable_change_source": criterion.get("source", ""),
    }


def _create_options(model, options: list[dict[str, Any]], **owner: Any) -> None:
    model.objects.bulk_create(
        [
            model(
                order=order,
                code=option["code"],
                label=option["label"],
                value=option["value"],
                system=option["system"],
                **owner,
            )
            for order, option in enumerate(options)
        ]
    )


def version_document(version: InstrumentVersion) -> dict[str, Any]:
    """The version as a parsed document: the frozen definition once published, else built from its rows."""
    if version.definition is not None:
        return document.parse(version.definition)
    return document.parse(_document_from_rows(version))


@dataclass(frozen=True)
class PublishedForm:
    """A version, parsed once: its document, its pages and its questions by key."""

    document: dict[str, Any]
    pages: list[dict[str, Any]]
    items: dict[str, dict[str, Any]]
    #: (version id, published at) once frozen, for the caches of what is derived from the form; None for a draft.
    frozen_as: tuple[int, datetime] | None = None

    @classmethod
    def of(cls, version: InstrumentVersion, frozen_as: tuple[int, datetime] | None = None) -> PublishedForm:
        doc = version_document(version)
        return cls(doc, document.pages(doc), {item["key"]: item for item in doc["items"]}, frozen_as)

    @cached_property
    def spec(self) -> scoring.InstrumentSpec:
        """The scoring rules: scales with their bands, cut-offs and reliable-change parameters."""
        return document.spec_from_document(self.document)

    @cached_property
    def positions(self) -> dict[str, int]:
        """Each item's place in the document, from 1: stable ids for the page's controls."""
        return {key: number for number, key in enumerate(self.items, start=1)}


#: Published versions (and their parsed forms) kept per process; they never change once published.
FROZEN_CACHE_SIZE = 64


def published_version(version_id: int, published_at: datetime | None) -> InstrumentVersion:
    """A version whose content is frozen (published or retired), loaded once per process; a draft every time.

    Only what publishing froze is read from it (title, instructions, definition); its status may have
    moved on to retired since, which changes nothing for an assignment already made.
    """
    if published_at is None:
        return InstrumentVersion.objects.select_related("instrument").get(pk=version_id)
    return _frozen_version(version_id, published_at)


@lru_cache(maxsize=FROZEN_CACHE_SIZE)
def _frozen_version(version_id: int, published_at: datetime) -> InstrumentVersion:
    """Keyed on the moment of publishing too: a primary key used again (after a rolled-back
    transaction, as in tests) belongs to a version published at another moment."""
    return InstrumentVersion.objects.select_related("instrument").get(pk=version_id, published_at=published_at)


def published_form(version: InstrumentVersion) -> PublishedForm:
    """The parsed form of a version, cached per process once its definition is frozen.

    A version loaded without its definition (``defer``, as lists do) is not read again for it: a published
    one comes from the cache, which loads the definition once per process.
    """
    if version.published_at is None or (
        "definition" not in version.get_deferred_fields() and version.definition is None
    ):
        return PublishedForm.of(version)
    return frozen_form(version.pk, version.published_at)


@lru_cache(maxsize=FROZEN_CACHE_SIZE)
def frozen_form(version_id: int, published_at: datetime) -> PublishedForm:
    """The parsed form of the version published at ``published_at``, once per process."""
    return PublishedForm.of(_frozen_version(version_id, published_at), frozen_as=(version_id, published_at))


def _document_from_rows(version: InstrumentVersion) -> dict[str, Any]:
    answer_scales = list(version.answer_scales.prefetch_related("options"))
    items = list(version.items.select_related("answer_scale").prefetch_related("options"))
    scales = list(version.scales.prefetch_related("items", "bands"))

    def options(rows) -> list[dict[str, Any]]:
        return [
            {"code": o.code, "label": o.label, "value": o.value, **({"system": o.system} if o.system else {})}
            for o in rows
        ]

    def item_data(item: Item) -> dict[str, Any]:
        data: dict[str, Any] = {"key": item.key, "type": item.type, "text": item.text}
        if item.required:
            data["required"] = True
        if item.reverse_keyed:
            data["reverse_keyed"] = True
        if item.healthy:
            data["healthy"] = item.healthy
        if item.answer_scale_id:
            data["answer_scale"] = item.answer_scale.key
        elif item.type in (document.ITEM_TYPES[2], document.ITEM_TYPES[3]) or item.options.all():
            data["options"] = options(item.options.all())
        for attribute, name in (("min_value", "min"), ("max_value", "max")):
            if getattr(item, attribute) is not None:
                data[name] = getattr(item, attribute)
        if item.enable_when is not None:
            data["enable_when"] = item.enable_when
        return data

    return {
        "format": document.FORMAT,
        "slug": version.instrument.slug,
        "version": version.label,
        "title": version.title,
        "description": version.description,
        "instructions": version.instructions,
        "copyright": version.copyright,
        "url": version.url,
        "couples": version.couples,
        "answer_scales": [
            {"key": scale.key, "label": scale.label, "options": options(scale.options.all())} for scale in answer_scales
        ],
        "items": [item_data(item) for item in items],
        "scales": [
            {
                "key": scale.key,
                "label": scale.label,
                "total": scale.is_total,
                "items": [item.key for item in sorted(scale.items.all(), key=lambda i: (i.order, i.pk))],
                "method": scale.method,
                "max_missing": scale.max_missing,
                "clinical_cutoff": scale.clinical_cutoff,
                "higher_is_worse": scale.higher_is_worse,
                "reference_sd": scale.reference_sd,
                "reliability": scale.reliability,
                "reliable_change": None
                if scale.reliable_change_threshold is None
                else {"threshold": scale.reliable_change_threshold, "source": scale.reliable_change_source},
                "bands": [
                    {"low": b.low, "high": b.high, "label": b.label, "severity": b.severity, "meaning": b.meaning}
                    for b in scale.bands.all()
                ],
            }
            for scale in scales
        ],
        "risk_items": [
            {"item": item.key, "threshold": item.risk_threshold, "label": item.risk_label}
            for item in items
            if item.risk_threshold is not None
        ],
    }


def version_export(version: InstrumentVersion) -> dict[str, Any]:
    """Our JSON format, canonical, ready for ``json.dumps``."""
    return document.exported(version_document(version))


def publication_problems(doc: dict[str, Any]) -> list[Problem]:
    """Why a (parsed) document cannot be published yet: no questions, or bands that do not tile their scales."""
    problems = []
    if not any(item["type"] in document.QUESTION_TYPES for item in doc["items"]):
        problems.append(Problem("$.items", _("There is no question to answer.")))
    for index, scale in enumerate(doc["scales"]):
        if not scale["items"]:
            problems.append(Problem(f"$.scales[{index}].items", _("A scale needs at least one item.")))
    if not problems:
        problems.extend(document.band_problems(doc))
    return problems


@transaction.atomic
def version_publish(version: InstrumentVersion) -> InstrumentVersion:
    """Freeze a draft and make it the instrument's published version (the previous one retires)."""
    version = InstrumentVersion.objects.select_for_update().get(pk=version.pk)
    if not version.is_draft:
        raise DocumentError([Problem("$", _("Only a draft can be published."))])
    doc = version_document(version)
    problems = publication_problems(doc)
    if problems:
        raise DocumentError(problems)
    now = timezone.now()
    for previous in InstrumentVersion.objects.filter(
        instrument=version.instrument_id, status=InstrumentStatus.PUBLISHED
    ):
        previous.status = InstrumentStatus.RETIRED
        previous.retired_at = now
        previous.save(update_fields=["status", "retired_at"])
    version.definition = document.exported(doc)
    version.status = InstrumentStatus.PUBLISHED
    version.published_at = now
    version.save(update_fields=["definition", "status", "published_at"])
    version.instrument.title = version.title
    version.instrument.save(update_fields=["title"])
    return version


@transaction.atomic
def version_new_draft(version: InstrumentVersion) -> InstrumentVersion:
    """A draft copy of ``version`` to edit; past responses keep pointing at the original."""
    draft = version_create_from_document(version_document(version))
    draft.based_on = version
    draft.save(update_fields=["based_on"])
    return draft


@transaction.atomic
def version_retire(version: InstrumentVersion) -> InstrumentVersion:
    """Stop offering a version; its responses stay readable."""
    version = InstrumentVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != InstrumentStatus.PUBLISHED:
        raise DocumentError([Problem("$", _("Only a published version can be retired."))])
    version.status = InstrumentStatus.RETIRED
    version.retired_at = timezone.now()
    version.save(update_fields=["status", "retired_at"])
    return version


class InstrumentNotWritable(Exception):
    """``user`` may not add a version to this instrument, or may not add instruments at all.

    ``visible`` tells a library instrument (or no owner to add for: a 403) from another owner's (a 404).
    """

    def __init__(self, message: str, *, visible: bool) -> None:
        super().__init__(message)
        self.visible = visible


def owner_for_import(user: Any, slug: str) -> Any:
    """Whose an import by ``user`` of ``slug`` is: the existing instrument's owner if ``user`` may change it,
    else a new instrument for the owner the host's hooks name; InstrumentNotWritable otherwise."""
    from assessments.hooks import get_hooks
    from assessments.models import Instrument

    existing = Instrument.objects.filter(slug=slug).first()
    if existing is not None:
        if Instrument.objects.writable_by(user).filter(pk=existing.pk).exists():
            return existing.owner_id
        if Instrument.objects.for_user(user).filter(pk=existing.pk).exists():
            raise InstrumentNotWritable(
                _(
                    "%(slug)s is in the library, which practices cannot change: make a copy for your practice, "
                    "or import it under another slug."
                )
                % {"slug": slug},
                visible=True,
            )
        raise InstrumentNotWritable(_("Not found."), visible=False)
    owner = get_hooks().owner_for_new_instrument(user)
    if owner is None and not getattr(user, "is_superuser", False):
        raise InstrumentNotWritable(_("Only a superuser adds questionnaires to the library."), visible=True)
    return getattr(owner, "pk", owner)


def copy_slug(slug: str) -> str:
    """A free slug for a copy of ``slug``: ``slug-copy``, then ``slug-copy-2``…"""
    from assessments.models import Instrument

    base = f"{slug[:94]}-copy"
    candidate, number = base, 1
    while Instrument.objects.filter(slug=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


@transaction.atomic
def instrument_copy(instrument: Any, *, owner_id: Any) -> InstrumentVersion:
    """An owned draft instrument made from ``instrument``'s published version (or its latest), to adapt."""
    source = instrument.versions.published().first() or instrument.versions.order_by("-number").first()
    if source is None:
        raise DocumentError([Problem("$", _("This questionnaire has no version to copy."))])
    doc = {**version_document(source), "slug": copy_slug(instrument.slug)}
    draft = version_create_from_document(doc, owner_id=owner_id)
    draft.based_on = source
    draft.save(update_fields=["based_on"])
    return draft


@transaction.atomic
def instrument_import(
    raw: bytes | str | dict, *, publish: bool = False, user: Any = None
) -> tuple[InstrumentVersion, list[str]]:
    """Import a document (ours or FHIR) as a new version; all or nothing.

    With ``user`` (the admin, the API) the import goes only into an instrument ``user`` may change,
    or into a new one of the owner the host names (``owner_for_import``); without (commands,
    migrations) it is the installation's own.
    """
    doc, warnings = document_load(raw)
    owner_id = owner_for_import(user, doc["slug"]) if user is not None else None
    version = version_create_from_document(doc, owner_id=owner_id)
    if publish:
        version = version_publish(version)
    return version, warnings


def version_score(version: InstrumentVersion, answers: dict[str, object]) -> dict[str, Any]:
    """Score answers keyed by item key against a version; ScoringError names a bad answer's item."""
    return document.result_as_json(document.score_document(version_document(version), answers))
