"""The scoring core of the questionnaire engine: scales, bands, risk items and reliable change.

Pure Python with no Django import, so an instrument's rules can be checked and scored anywhere
(admin, API, import, tasks, tests) and give the same answer.

How bands work
--------------
Every scale has a *resolution*, the smallest step between two scores it can produce:

* ``1`` for a sum scale that never prorates (``max_missing == 0``): its items are whole numbers,
  so its totals are whole numbers;
* ``0.01`` for a mean scale or a sum scale that may prorate: those scores are rounded to hundredths.

Bands are inclusive ``[low, high]`` intervals whose ends are multiples of the resolution. They are
valid (``validate_bands`` reports nothing) when, sorted by ``low``, the first starts at the lowest
possible score, the last ends at the highest, and each next band starts exactly one resolution step
after the previous one ends (``next.low == prev.high + resolution``). So ``0-4, 5-9`` is gapless on
a plain sum scale, while a prorating sum scale or a mean scale needs ``0-4.99, 5-9.99`` (or
``1-2.49, 2.5-5``). ``band_for`` rounds a value half-up to the resolution before looking it up,
so with valid bands every value in the range lands in exactly one band.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

RELIABLE_CHANGE_Z = 1.96
"""Jacobson & Truax: a change is reliable when it would arise by measurement error alone less than 5% of the time."""

_WHOLE = Decimal(1)
_HUNDREDTH = Decimal("0.01")


class ScoringError(ValueError):
    """Answers that do not fit the instrument; ``item_key`` names the offending item so a form can point at it."""

    def __init__(self, item_key: str, message: str) -> None:
        super().__init__(message)
        self.item_key = item_key


class Method(StrEnum):
    SUM = "sum"
    MEAN = "mean"


class Direction(StrEnum):
    IMPROVED = "improved"
    DETERIORATED = "deteriorated"
    NO_RELIABLE_CHANGE = "no reliable change"


class Outcome(StrEnum):
    RECOVERED = "recovered"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"


@dataclass(frozen=True)
class AnswerOption:
    """One labelled choice: the respondent sees the label, scoring sees the value."""

    value: int
    label: str


@dataclass(frozen=True)
class ItemSpec:
    """A choice item answered with a whole number from ``min_value`` to ``max_value``.

    A reverse-keyed item is worded the other way round, so it contributes ``min + max - value``.
    When ``options`` are given, an answer must be one of their values.
    """

    key: str
    min_value: int
    max_value: int
    reverse_keyed: bool = False
    options: tuple[AnswerOption, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", tuple(self.options))
        if not self.key:
            raise ValueError("An item needs a key.")
        for name in ("min_value", "max_value"):
            if not _is_int(getattr(self, name)):
                raise ValueError(f"Item {self.key!r}: {name} must be a whole number, not {getattr(self, name)!r}.")
        if self.min_value >= self.max_value:
            raise ValueError(f"Item {self.key!r}: min_value {self.min_value} must be below max_value {self.max_value}.")
        if self.options:
            values = [option.value for option in self.options]
            if not all(_is_int(value) for value in values):
                raise ValueError(f"Item {self.key!r}: option values must be whole numbers.")
            if len(set(values)) != len(values):
                raise ValueError(f"Item {self.key!r}: option values must be unique.")
            if (min(values), max(values)) != (self.min_value, self.max_value):
                raise ValueError(
                    f"Item {self.key!r}: options run from {min(values)} to {max(values)} "
                    f"but the item is declared {self.min_value} to {self.max_value}."
                )

    def contribution(self, value: int) -> int:
        """What an answer adds to its scale, after reverse-keying."""
        return self.min_value + self.max_value - value if self.reverse_keyed else value


@dataclass(frozen=True)
class BandSpec:
    """A named score range, inclusive at both ends; ``severity`` orders bands for display and alerts."""

    low: float
    high: float
    label: str
    severity: int = 0
    meaning: str = ""


@dataclass(frozen=True)
class ScaleSpec:
    """How one scale is scored from its items, and how its scores are read.

    A sum scale with missing answers (at most ``max_missing``) is prorated: each missing answer is
    replaced by the mean of the answered items in the scale, and the total is rounded half-up to 2
    decimals. A mean scale averages whatever was answered, which is the same substitution. More
    missing answers than ``max_missing`` leave the scale unscored, with a reason. Substituting a mean
    only makes sense when the items share one range, so a scale that allows missing answers must use
    items with equal ranges.
    """

    key: str
    label: str
    items: tuple[ItemSpec, ...]
    method: str = Method.SUM
    max_missing: int = 0
    bands: tuple[BandSpec, ...] = ()
    clinical_cutoff: float | None = None
    higher_is_worse: bool = True
    reference_sd: float | None = None
    reliability: float | None = None
    reliable_change_threshold: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "bands", tuple(self.bands))
        if not self.key:
            raise ValueError("A scale needs a key.")
        if self.method not in set(Method):
            raise ValueError(f"Scale {self.key!r}: method must be 'sum' or 'mean', not {self.method!r}.")
        object.__setattr__(self, "method", Method(self.method))
        if not self.items:
            raise ValueError(f"Scale {self.key!r} needs at least one item.")
        keys = [item.key for item in self.items]
        if len(set(keys)) != len(keys):
            raise ValueError(f"Scale {self.key!r} lists an item twice.")
        if not _is_int(self.max_missing) or not 0 <= self.max_missing < len(self.items):
            raise ValueError(
                f"Scale {self.key!r}: max_missing must be a whole number from 0 to {len(self.items) - 1}, "
                f"not {self.max_missing!r}."
            )
        if self.max_missing and len({(item.min_value, item.max_value) for item in self.items}) > 1:
            raise ValueError(
                f"Scale {self.key!r} allows missing answers, so its items must share one range "
                "(a missing answer is replaced by the mean of the others)."
            )
        if self.clinical_cutoff is not None:
            _require_finite("clinical_cutoff", self.clinical_cutoff)
        if (self.reference_sd is None) != (self.reliability is None):
            raise ValueError(f"Scale {self.key!r}: give both reference_sd and reliability, or neither.")
        if self.reference_sd is not None:
            _check_reliability_params(self.reference_sd, self.reliability)
        if self.reliable_change_threshold is not None:
            self._check_reliable_change_threshold()

    def _check_reliable_change_threshold(self) -> None:
        threshold = self.reliable_change_threshold
        if not _is_real(threshold) or not math.isfinite(threshold) or threshold <= 0:
            raise ValueError(f"Scale {self.key!r}: the reliable-change threshold must be above 0, not {threshold!r}.")
        low, high = self.score_range
        if threshold > high - low:
            raise ValueError(
                f"Scale {self.key!r}: a reliable-change threshold of {threshold} is more than the whole range "
                f"{low} to {high}, so no change could ever be reliable."
            )

    @property
    def has_reliable_change(self) -> bool:
        """Whether the scale says what a reliable change is: a threshold in points, or reference SD and reliability."""
        return self.reliable_change_threshold is not None or self.reference_sd is not None

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)

    @property
    def resolution(self) -> float:
        """The smallest step between two possible scores: 1 for a never-prorated sum, else 0.01."""
        return float(self._step)

    @property
    def score_range(self) -> tuple[float, float]:
        """The lowest and highest possible score; reverse-keying maps each item's range onto itself."""
        low = sum(item.min_value for item in self.items)
        high = sum(item.max_value for item in self.items)
        if self.method == Method.SUM:
            return low, high
        n = len(self.items)
        return float(_quantize(Fraction(low, n), _HUNDREDTH)), float(_quantize(Fraction(high, n), _HUNDREDTH))

    @property
    def _step(self) -> Decimal:
        return _WHOLE if self.method == Method.SUM and self.max_missing == 0 else _HUNDREDTH


@dataclass(frozen=True)
class RiskRule:
    """An item whose raw answer at or above ``threshold`` needs the therapist's attention whatever the total."""

    item_key: str
    threshold: float
    label: str = ""


@dataclass(frozen=True)
class InstrumentSpec:
    """The scoring rules of one instrument version.

    ``items`` lists every item the instrument asks, scored or not; left empty, it is taken from
    the scales in order.
    """

    key: str
    scales: tuple[ScaleSpec, ...]
    items: tuple[ItemSpec, ...] = ()
    risk_rules: tuple[RiskRule, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "scales", tuple(self.scales))
        object.__setattr__(self, "risk_rules", tuple(self.risk_rules))
        items = tuple(self.items) or tuple({i.key: i for s in self.scales for i in s.items}.values())
        object.__setattr__(self, "items", items)
        keys = [item.key for item in items]
        if len(set(keys)) != len(keys):
            raise ValueError(f"Instrument {self.key!r} lists an item key twice.")
        by_key = dict(zip(keys, items, strict=True))
        scale_keys = [scale.key for scale in self.scales]
        if len(set(scale_keys)) != len(scale_keys):
            raise ValueError(f"Instrument {self.key!r} lists a scale key twice.")
        for scale in self.scales:
            for item in scale.items:
                if by_key.get(item.key) != item:
                    raise ValueError(
                        f"Scale {scale.key!r} uses item {item.key!r}, which instrument {self.key!r} "
                        "does not define that way."
                    )
        for rule in self.risk_rules:
            item = by_key.get(rule.item_key)
            if item is None:
                raise ValueError(f"Risk rule names unknown item {rule.item_key!r}.")
            _require_finite("threshold", rule.threshold)
            if not item.min_value <= rule.threshold <= item.max_value:
                raise ValueError(
                    f"Risk threshold {rule.threshold} for item {rule.item_key!r} lies outside its range "
                    f"{item.min_value} to {item.max_value}."
                )


@dataclass(frozen=True)
class ScaleResult:
    """One scale's score; ``value`` and ``band`` are None when too many answers are missing (see ``reason``).

    ``prorated`` says the score stands in for missing answers; ``clinical`` is None without a cutoff.
    """

    key: str
    label: str
    value: float | None
    band: BandSpec | None
    answered: int
    missing: tuple[str, ...]
    prorated: bool
    reason: str | None = None
    clinical: bool | None = None
    #: Items hidden by their conditions: not applicable, so neither answered nor missing.
    not_applicable: tuple[str, ...] = ()


@dataclass(frozen=True)
class RiskFlag:
    """A risk item answered at or above its threshold."""

    item_key: str
    value: int
    threshold: float
    label: str = ""


@dataclass(frozen=True)
class ScoreResult:
    """Everything one response yields: per-scale scores, risk flags, and risk items left unanswered."""

    instrument: str
    scales: tuple[ScaleResult, ...]
    risk_flags: tuple[RiskFlag, ...] = ()
    unanswered_risk_items: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return bool(self.risk_flags)

    def scale(self, key: str) -> ScaleResult:
        for result in self.scales:
            if result.key == key:
                return result
        raise KeyError(key)


@dataclass(frozen=True)
class ReliableChange:
    """A before/after comparison: ``rci`` is the change in units of its standard error.

    ``threshold`` is the smallest change in points that counts as reliable: ``1.96 * s_diff``, or the
    scale's published threshold, from which ``s_diff`` is then taken as ``threshold / 1.96``.
    """

    before: float
    after: float
    change: float
    s_diff: float
    rci: float
    reliable: bool
    direction: Direction
    threshold: float | None = None


def validate_bands(scale: ScaleSpec) -> list[str]:
    """Problems with a scale's bands, as sentences for the admin; empty when every possible score has one band."""
    if not scale.bands:
        return [f"Scale {scale.key!r} has no bands."]
    step = scale._step
    low_end, high_end = (_dec(value) for value in scale.score_range)
    problems: list[str] = []
    for band in scale.bands:
        low, high = _dec(band.low), _dec(band.high)
        if low > high:
            problems.append(f"Band {band.label!r} starts at {_fmt(low)}, above where it ends ({_fmt(high)}).")
        for end, value in (("start", low), ("end", high)):
            if value % step:
                problems.append(
                    f"Band {band.label!r} should {end} on a multiple of {_fmt(step)}, the scale's resolution, "
                    f"not {_fmt(value)}."
                )
    ordered = sorted(scale.bands, key=lambda band: (_dec(band.low), _dec(band.high)))
    if _dec(ordered[0].low) != low_end:
        problems.append(
            f"The first band starts at {_fmt(_dec(ordered[0].low))}, but the lowest possible score is {_fmt(low_end)}."
        )
    reach = ordered[0]
    for band in ordered[1:]:
        low, reached = _dec(band.low), _dec(reach.high)
        if low <= reached:
            problems.append(
                f"Bands {reach.label!r} ({_fmt(_dec(reach.low))} to {_fmt(reached)}) and "
                f"{band.label!r} ({_fmt(low)} to {_fmt(_dec(band.high))}) overlap."
            )
        elif low > reached + step:
            problems.append(
                f"Scores between {_fmt(reached)} and {_fmt(low)} fall in no band "
                f"(after {reach.label!r}, before {band.label!r})."
            )
        if _dec(band.high) > reached:
            reach = band
    if _dec(reach.high) != high_end:
        problems.append(
            f"The last band ends at {_fmt(_dec(reach.high))}, but the highest possible score is {_fmt(high_end)}."
        )
    return problems


def band_for(scale: ScaleSpec, value: float) -> BandSpec | None:
    """The band a score falls in, after rounding it half-up to the scale's resolution.

    Returns None only when the bands fail ``validate_bands``; a value outside the range is a ValueError.
    """
    _require_finite("value", value)
    rounded = _quantize(value, scale._step)
    low_end, high_end = (_dec(end) for end in scale.score_range)
    if not low_end <= rounded <= high_end:
        raise ValueError(f"Score {value} is outside scale {scale.key!r}'s range {_fmt(low_end)} to {_fmt(high_end)}.")
    for band in sorted(scale.bands, key=lambda band: _dec(band.low)):
        if _dec(band.low) <= rounded <= _dec(band.high):
            return band
    return None


def score(
    spec: InstrumentSpec,
    answers: Mapping[str, int | float | None],
    not_applicable: Collection[str] = frozenset(),
) -> ScoreResult:
    """Score one response; a None or absent answer is missing, an impossible one raises ScoringError.

    Items in ``not_applicable`` (hidden by their conditions) are neither answered nor missing: they
    leave their scales' denominators, so they never make a scale unscored, never count towards
    prorating, and any answer they hold is ignored. A risk item that does not apply is not unanswered.
    """
    items = {item.key: item for item in spec.items}
    skipped = frozenset(not_applicable)
    given: dict[str, int] = {}
    for key, raw in answers.items():
        item = items.get(key)
        if item is None:
            raise ScoringError(key, f"Instrument {spec.key!r} has no item {key!r}.")
        if raw is not None and key not in skipped:
            given[key] = _checked_answer(item, raw)
    flags = tuple(
        RiskFlag(rule.item_key, given[rule.item_key], rule.threshold, rule.label)
        for rule in spec.risk_rules
        if rule.item_key in given and given[rule.item_key] >= rule.threshold
    )
    unanswered = tuple(
        dict.fromkeys(
            rule.item_key for rule in spec.risk_rules if rule.item_key not in given and rule.item_key not in skipped
        )
    )
    return ScoreResult(
        instrument=spec.key,
        scales=tuple(_score_scale(scale, given, skipped) for scale in spec.scales),
        risk_flags=flags,
        unanswered_risk_items=unanswered,
    )


def is_clinical(value: float, cutoff: float, higher_is_worse: bool = True) -> bool:
    """Whether a score is on the clinical side of the cutoff; the cutoff itself counts as clinical."""
    return value >= cutoff if higher_is_worse else value <= cutoff


def standard_error(sd: float, r: float) -> float:
    """Standard error of measurement, ``sd * sqrt(1 - r)``, from the reference SD and the reliability."""
    _check_reliability_params(sd, r)
    return sd * math.sqrt(1 - r)


def standard_error_of_difference(sd: float, r: float) -> float:
    """``S_diff = sqrt(2) * SE``: the spread of the difference between two error-prone scores."""
    return math.sqrt(2) * standard_error(sd, r)


def reliable_change_index(before: float, after: float, sd: float, r: float) -> float:
    """Jacobson & Truax RCI, ``(after - before) / S_diff``."""
    _require_finite("before", before)
    _require_finite("after", after)
    return (after - before) / standard_error_of_difference(sd, r)


def reliable_change_threshold(sd: float, r: float) -> float:
    """The smallest change, in score points, that counts as reliable: ``1.96 * S_diff``."""
    return RELIABLE_CHANGE_Z * standard_error_of_difference(sd, r)


def reliable_change(before: float, after: float, sd: float, r: float, higher_is_worse: bool = True) -> ReliableChange:
    """Whether a change is larger than measurement error explains (``|RCI| >= 1.96``), and which way it went."""
    rci = reliable_change_index(before, after, sd, r)
    reliable = abs(rci) >= RELIABLE_CHANGE_Z
    return ReliableChange(
        before=before,
        after=after,
        change=after - before,
        s_diff=standard_error_of_difference(sd, r),
        rci=rci,
        reliable=reliable,
        direction=_direction(before, after, reliable, higher_is_worse),
        threshold=reliable_change_threshold(sd, r),
    )


def reliable_change_by_threshold(
    before: float, after: float, threshold: float, higher_is_worse: bool = True
) -> ReliableChange:
    """Reliable change against a published threshold in points (such as PHQ-9's 6): reliable when
    ``|after - before| >= threshold``, compared exactly rather than through a rounded RCI."""
    _require_finite("before", before)
    _require_finite("after", after)
    if not _is_real(threshold) or not math.isfinite(threshold) or threshold <= 0:
        raise ValueError(f"The reliable-change threshold must be a number above 0, not {threshold!r}.")
    change = after - before
    reliable = abs(change) >= threshold
    return ReliableChange(
        before=before,
        after=after,
        change=change,
        s_diff=threshold / RELIABLE_CHANGE_Z,
        rci=change * RELIABLE_CHANGE_Z / threshold,
        reliable=reliable,
        direction=_direction(before, after, reliable, higher_is_worse),
        threshold=threshold,
    )


def _direction(before: float, after: float, reliable: bool, higher_is_worse: bool) -> Direction:
    if not reliable:
        return Direction.NO_RELIABLE_CHANGE
    return Direction.IMPROVED if (after < before) == higher_is_worse else Direction.DETERIORATED


def outcome_category(
    before: float, after: float, sd: float, r: float, cutoff: float, higher_is_worse: bool = True
) -> Outcome:
    """Jacobson & Truax category: recovered means a reliable improvement that also crossed from the
    clinical to the non-clinical side of the cutoff."""
    return _outcome(reliable_change(before, after, sd, r, higher_is_worse), cutoff, higher_is_worse)


def _outcome(change: ReliableChange, cutoff: float, higher_is_worse: bool) -> Outcome:
    _require_finite("cutoff", cutoff)
    before, after = change.before, change.after
    if change.direction == Direction.DETERIORATED:
        return Outcome.DETERIORATED
    if change.direction == Direction.NO_RELIABLE_CHANGE:
        return Outcome.UNCHANGED
    crossed = is_clinical(before, cutoff, higher_is_worse) and not is_clinical(after, cutoff, higher_is_worse)
    return Outcome.RECOVERED if crossed else Outcome.IMPROVED


def reliable_change_for(scale: ScaleSpec, before: float, after: float) -> ReliableChange:
    """Reliable change by the scale's own criterion and direction: its reference SD and reliability, else its
    threshold in points. A document gives one or the other; both reach a scale only when a reliability
    estimated later (say, from a practice's own responses) is laid over a published threshold, and then
    the estimate is what the reader asked for."""
    if scale.reference_sd is not None and scale.reliability is not None:
        return reliable_change(before, after, scale.reference_sd, scale.reliability, scale.higher_is_worse)
    if scale.reliable_change_threshold is not None:
        return reliable_change_by_threshold(before, after, scale.reliable_change_threshold, scale.higher_is_worse)
    raise ValueError(
        f"Scale {scale.key!r} has no reference_sd and reliability, nor a reliable-change threshold, "
        "for reliable change."
    )


def outcome_for(scale: ScaleSpec, before: float, after: float) -> Outcome:
    """The outcome category using the scale's own reliable-change criterion and clinical cutoff."""
    if scale.clinical_cutoff is None:
        raise ValueError(f"Scale {scale.key!r} has no clinical_cutoff.")
    return _outcome(reliable_change_for(scale, before, after), scale.clinical_cutoff, scale.higher_is_worse)


def _score_scale(scale: ScaleSpec, given: Mapping[str, int], skipped: frozenset[str] = frozenset()) -> ScaleResult:
    """One scale over its applicable items: hidden ones leave the denominator, missing ones may be prorated."""
    applicable = [item for item in scale.items if item.key not in skipped]
    not_applicable = tuple(item.key for item in scale.items if item.key in skipped)
    contributions = [item.contribution(given[item.key]) for item in applicable if item.key in given]
    missing = tuple(item.key for item in applicable if item.key not in given)
    unscored = None
    if not applicable:
        unscored = f"No item of {scale.label} applies to these answers."
    elif len(missing) > scale.max_missing:
        unscored = (
            f"{len(missing)} of {len(applicable)} {'applicable ' if not_applicable else ''}items unanswered; "
            f"{scale.label} allows at most {scale.max_missing} missing."
        )
    elif not contributions:
        unscored = f"No item of {scale.label} that applies was answered."
    if unscored is not None:
        return ScaleResult(
            key=scale.key,
            label=scale.label,
            value=None,
            band=None,
            answered=len(contributions),
            missing=missing,
            prorated=False,
            reason=unscored,
            not_applicable=not_applicable,
        )
    total = sum(contributions)
    value: float
    if scale.method == Method.SUM and not missing:
        value = total
    elif scale.method == Method.SUM:
        value = float(_quantize(Fraction(total * len(applicable), len(contributions)), _HUNDREDTH))
    else:
        value = float(_quantize(Fraction(total, len(contributions)), _HUNDREDTH))
    return ScaleResult(
        key=scale.key,
        label=scale.label,
        value=value,
        band=_band_within_range(scale, value),
        answered=len(contributions),
        missing=missing,
        prorated=bool(missing),
        clinical=None
        if scale.clinical_cutoff is None
        else is_clinical(value, scale.clinical_cutoff, scale.higher_is_worse),
        not_applicable=not_applicable,
    )


def _band_within_range(scale: ScaleSpec, value: float) -> BandSpec | None:
    """The band of a score; None without bands, or for a sum below the full range because items did not apply."""
    if not scale.bands:
        return None
    low_end, high_end = scale.score_range
    if not low_end <= value <= high_end:
        return None
    return band_for(scale, value)


def _checked_answer(item: ItemSpec, raw: object) -> int:
    if isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        raw = int(raw)
    if not _is_int(raw):
        raise ScoringError(item.key, f"The answer to item {item.key!r} must be a whole number, not {raw!r}.")
    if not item.min_value <= raw <= item.max_value:
        raise ScoringError(
            item.key,
            f"The answer {raw} to item {item.key!r} is outside its range {item.min_value} to {item.max_value}.",
        )
    if item.options and raw not in {option.value for option in item.options}:
        raise ScoringError(item.key, f"The answer {raw} to item {item.key!r} is not one of its options.")
    return raw


def _check_reliability_params(sd: float | None, r: float | None) -> None:
    if not _is_real(sd) or not math.isfinite(sd) or sd <= 0:
        raise ValueError(f"The reference standard deviation must be a positive number, not {sd!r}.")
    if not _is_real(r) or not 0 <= r < 1:
        raise ValueError(f"The reliability must be at least 0 and below 1, not {r!r}.")


def _require_finite(name: str, value: object) -> None:
    if not _is_real(value) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}.")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dec(value: float) -> Decimal:
    return Decimal(str(value))


def _quantize(value: Fraction | float, step: Decimal) -> Decimal:
    """Round half-up, exactly: floats via their shortest repr, fractions via decimal division."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else _dec(value)
    return exact.quantize(step, rounding=ROUND_HALF_UP)


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")
