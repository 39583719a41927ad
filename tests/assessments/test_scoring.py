"""The scoring core: sums, means, proration, bands, risk items and reliable change."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.scoring import (
    AnswerOption,
    BandSpec,
    Direction,
    InstrumentSpec,
    ItemSpec,
    Outcome,
    RiskRule,
    ScaleSpec,
    ScoringError,
    band_for,
    is_clinical,
    outcome_category,
    outcome_for,
    reliable_change,
    reliable_change_for,
    reliable_change_index,
    reliable_change_threshold,
    score,
    standard_error,
    standard_error_of_difference,
    validate_bands,
)

property_settings = settings(max_examples=150)

PHQ_ITEMS = tuple(ItemSpec(f"q{n}", 0, 3) for n in range(1, 10))
PHQ_BANDS = (
    BandSpec(0, 4, "minimal", 0, "Minimal depression"),
    BandSpec(5, 9, "mild", 1),
    BandSpec(10, 14, "moderate", 2),
    BandSpec(15, 19, "moderately severe", 3),
    BandSpec(20, 27, "severe", 4),
)
PRORATED_PHQ_BANDS = (
    BandSpec(0, 4.99, "minimal", 0),
    BandSpec(5, 9.99, "mild", 1),
    BandSpec(10, 14.99, "moderate", 2),
    BandSpec(15, 19.99, "moderately severe", 3),
    BandSpec(20, 27, "severe", 4),
)


def phq_scale(max_missing: int = 0, bands: tuple[BandSpec, ...] = PHQ_BANDS, **fields) -> ScaleSpec:
    return ScaleSpec("total", "Depression", PHQ_ITEMS, "sum", max_missing, bands, clinical_cutoff=10, **fields)


def phq(max_missing: int = 0, bands: tuple[BandSpec, ...] = PHQ_BANDS) -> InstrumentSpec:
    return InstrumentSpec(
        "phq9", [phq_scale(max_missing, bands)], risk_rules=[RiskRule("q9", 1, "Thoughts of self-harm")]
    )


def phq_answers(*values: int | None) -> dict[str, int | None]:
    return {f"q{n}": value for n, value in enumerate(values, start=1)}


def mood_scale(bands: tuple[BandSpec, ...] = ()) -> ScaleSpec:
    items = [ItemSpec("calm", 1, 5), ItemSpec("tense", 1, 5, reverse_keyed=True), ItemSpec("rested", 1, 5)]
    return ScaleSpec("mood", "Mood", items, "mean", max_missing=1, bands=bands, higher_is_worse=False)


# Examples: scoring


def test_phq9_like_total_is_the_hand_computed_sum_with_its_band():
    result = score(phq(), phq_answers(0, 1, 2, 3, 0, 1, 2, 3, 2)).scale("total")
    assert result.value == 14
    assert isinstance(result.value, int)
    assert result.band.label == "moderate"
    assert result.band.severity == 2
    assert (result.answered, result.missing, result.prorated, result.reason) == (9, (), False, None)
    assert result.clinical is True


def test_phq9_like_total_of_zero_is_minimal_and_not_clinical():
    result = score(phq(), phq_answers(*[0] * 9)).scale("total")
    assert (result.value, result.band.label, result.band.meaning, result.clinical) == (
        0,
        "minimal",
        "Minimal depression",
        False,
    )


def test_phq9_like_item_nine_at_one_is_flagged_whatever_the_total():
    result = score(phq(), phq_answers(0, 0, 0, 0, 0, 0, 0, 0, 1))
    assert result.scale("total").band.label == "minimal"
    assert result.flagged
    assert [(flag.item_key, flag.value, flag.label) for flag in result.risk_flags] == [
        ("q9", 1, "Thoughts of self-harm")
    ]


def test_risk_item_below_its_threshold_is_not_flagged():
    result = score(phq(), phq_answers(3, 3, 3, 3, 3, 3, 3, 3, 0))
    assert result.scale("total").band.label == "severe"
    assert not result.flagged
    assert result.risk_flags == ()


def test_risk_rule_reads_the_raw_answer_before_reverse_keying():
    item = ItemSpec("hopeful", 0, 3, reverse_keyed=True)
    spec = InstrumentSpec("hope", [ScaleSpec("s", "S", [item])], risk_rules=[RiskRule("hopeful", 3)])
    result = score(spec, {"hopeful": 3})
    assert result.scale("s").value == 0
    assert [flag.item_key for flag in result.risk_flags] == ["hopeful"]


def test_unanswered_risk_item_is_reported_so_the_therapist_can_ask():
    result = score(phq(max_missing=1, bands=PRORATED_PHQ_BANDS), phq_answers(1, 1, 1, 1, 1, 1, 1, 1, None))
    assert result.unanswered_risk_items == ("q9",)
    assert not result.flagged


def test_reverse_keyed_item_contributes_min_plus_max_minus_value():
    spec = InstrumentSpec("one", [ScaleSpec("s", "S", [ItemSpec("x", 1, 5, reverse_keyed=True)])])
    assert score(spec, {"x": 2}).scale("s").value == 4


def test_mean_scale_averages_contributions_rounded_to_hundredths():
    # calm 4, tense 2 reversed to 4, rested 5: 13 / 3 = 4.333...
    result = score(InstrumentSpec("mood", [mood_scale()]), {"calm": 4, "tense": 2, "rested": 5}).scale("mood")
    assert result.value == 4.33
    assert not result.prorated


def test_mean_scale_with_an_allowed_missing_item_averages_the_answered_ones():
    result = score(InstrumentSpec("mood", [mood_scale()]), {"calm": 4, "tense": 1}).scale("mood")
    assert result.value == 4.5
    assert result.prorated
    assert result.missing == ("rested",)


def test_sum_scale_prorates_one_missing_answer_with_the_mean_of_the_answered_items():
    # Eight answers sum to 13; the ninth is replaced by 13 / 8, so 13 * 9 / 8 = 14.625, rounded half-up.
    result = score(phq(max_missing=1, bands=PRORATED_PHQ_BANDS), phq_answers(2, 2, 2, 2, None, 2, 1, 1, 1))
    total = result.scale("total")
    assert total.value == 14.63
    assert total.prorated
    assert (total.answered, total.missing) == (8, ("q5",))
    assert total.band.label == "moderate"


def test_prorating_scale_with_every_answer_gives_the_plain_sum():
    total = score(phq(max_missing=1, bands=PRORATED_PHQ_BANDS), phq_answers(*[2] * 9)).scale("total")
    assert (total.value, total.prorated) == (18, False)


def test_absent_key_and_none_both_count_as_missing():
    spec = phq(max_missing=1, bands=PRORATED_PHQ_BANDS)
    with_none = score(spec, phq_answers(1, 1, 1, 1, 1, 1, 1, 1, None)).scale("total")
    absent = score(spec, {f"q{n}": 1 for n in range(1, 9)}).scale("total")
    assert with_none == absent
    assert with_none.value == 9


def test_too_many_missing_answers_leave_the_scale_unscored_with_a_reason():
    spec = phq(max_missing=1, bands=PRORATED_PHQ_BANDS)
    total = score(spec, phq_answers(1, 1, None, 1, 1, 1, None, 1, 1)).scale("total")
    assert total.value is None
    assert total.band is None
    assert total.clinical is None
    assert (total.answered, total.missing, total.prorated) == (7, ("q3", "q7"), False)
    assert "2 of 9 items unanswered" in total.reason
    assert "at most 1" in total.reason


def test_scale_without_proration_is_unscored_when_one_answer_is_missing():
    total = score(phq(), phq_answers(1, 1, 1, 1, 1, 1, 1, 1)).scale("total")
    assert total.value is None
    assert "1 of 9 items unanswered" in total.reason


def test_answer_outside_the_items_range_raises_scoring_error_naming_the_item():
    with pytest.raises(ScoringError, match="'q3'") as caught:
        score(phq(), phq_answers(0, 0, 4, 0, 0, 0, 0, 0, 0))
    assert caught.value.item_key == "q3"
    assert isinstance(caught.value, ValueError)


def test_answer_below_the_items_range_raises_scoring_error():
    with pytest.raises(ScoringError, match="'q1'"):
        score(phq(), phq_answers(-1, 0, 0, 0, 0, 0, 0, 0, 0))


def test_unknown_answer_key_raises_scoring_error_naming_the_key():
    with pytest.raises(ScoringError, match="'q10'") as caught:
        score(phq(), {**phq_answers(*[0] * 9), "q10": 1})
    assert caught.value.item_key == "q10"


@pytest.mark.parametrize("bad", [1.5, True, "2", math.nan])
def test_answer_that_is_not_a_whole_number_raises_scoring_error(bad):
    with pytest.raises(ScoringError, match="'q2'"):
        score(phq(), {**phq_answers(*[0] * 9), "q2": bad})


def test_whole_float_answer_is_accepted_as_its_integer():
    assert score(phq(), {**phq_answers(*[0] * 9), "q2": 2.0}).scale("total").value == 2


def test_answer_between_an_items_options_raises_scoring_error():
    item = ItemSpec(
        "often", 0, 4, options=[AnswerOption(0, "Never"), AnswerOption(2, "Sometimes"), AnswerOption(4, "Always")]
    )
    spec = InstrumentSpec("opts", [ScaleSpec("s", "S", [item])])
    assert score(spec, {"often": 2}).scale("s").value == 2
    with pytest.raises(ScoringError, match="not one of its options"):
        score(spec, {"often": 1})


def test_unscored_item_is_a_known_key_but_counts_in_no_scale():
    extra = ItemSpec("difficulty", 0, 3)
    spec = InstrumentSpec("phq9", [phq_scale()], items=(*PHQ_ITEMS, extra))
    result = score(spec, {**phq_answers(*[1] * 9), "difficulty": 3})
    assert result.scale("total").value == 9


# Examples: specs that cannot work are refused when built


def test_scale_allowing_missing_answers_refuses_items_with_different_ranges():
    with pytest.raises(ValueError, match="share one range"):
        ScaleSpec("s", "S", [ItemSpec("a", 0, 3), ItemSpec("b", 1, 5)], max_missing=1)


def test_scale_refuses_an_unknown_method():
    with pytest.raises(ValueError, match="'median'"):
        ScaleSpec("s", "S", PHQ_ITEMS, "median")


def test_scale_refuses_max_missing_that_would_allow_no_answers():
    with pytest.raises(ValueError, match="max_missing"):
        ScaleSpec("s", "S", PHQ_ITEMS, max_missing=9)


def test_instrument_refuses_a_risk_rule_on_an_unknown_item():
    with pytest.raises(ValueError, match="'q10'"):
        InstrumentSpec("phq9", [phq_scale()], risk_rules=[RiskRule("q10", 1)])


def test_instrument_refuses_a_risk_threshold_the_item_can_never_reach():
    with pytest.raises(ValueError, match="outside its range"):
        InstrumentSpec("phq9", [phq_scale()], risk_rules=[RiskRule("q9", 4)])


def test_instrument_refuses_two_scales_defining_one_item_differently():
    first = ScaleSpec("a", "A", [ItemSpec("x", 0, 3)])
    second = ScaleSpec("b", "B", [ItemSpec("x", 0, 3, reverse_keyed=True)])
    with pytest.raises(ValueError, match="'x'"):
        InstrumentSpec("both", [first, second])


def test_item_options_must_span_its_declared_range():
    with pytest.raises(ValueError, match="options run from 0 to 2"):
        ItemSpec("x", 0, 3, options=[AnswerOption(0, "No"), AnswerOption(2, "Yes")])


# Examples: ranges and bands


def test_sum_scale_range_runs_from_the_sum_of_minimums_to_the_sum_of_maximums():
    assert phq_scale().score_range == (0, 27)
    assert phq_scale().resolution == 1


def test_mean_scale_range_is_the_mean_of_minimums_to_the_mean_of_maximums():
    scale = ScaleSpec("s", "S", [ItemSpec("a", 0, 3), ItemSpec("b", 1, 5), ItemSpec("c", 1, 4)], "mean")
    assert scale.score_range == (0.67, 4.0)
    assert scale.resolution == 0.01


def test_prorating_sum_scale_works_in_hundredths():
    assert phq_scale(max_missing=1).resolution == 0.01


def test_contiguous_integer_bands_on_a_plain_sum_scale_have_no_problems():
    assert validate_bands(phq_scale()) == []


def test_validate_bands_catches_a_gap():
    bands = (BandSpec(0, 4, "minimal"), BandSpec(6, 27, "more"))
    problems = validate_bands(phq_scale(bands=bands))
    assert len(problems) == 1
    assert "between 4 and 6 fall in no band" in problems[0]


def test_validate_bands_catches_an_overlap():
    bands = (BandSpec(0, 5, "minimal"), BandSpec(5, 27, "more"))
    problems = validate_bands(phq_scale(bands=bands))
    assert len(problems) == 1
    assert "overlap" in problems[0]
    assert "'minimal'" in problems[0]
    assert "'more'" in problems[0]


def test_validate_bands_catches_bands_that_stop_short_of_the_top():
    bands = (BandSpec(0, 9, "low"), BandSpec(10, 20, "high"))
    assert validate_bands(phq_scale(bands=bands)) == ["The last band ends at 20, but the highest possible score is 27."]


def test_validate_bands_catches_bands_that_start_above_the_bottom():
    bands = (BandSpec(1, 9, "low"), BandSpec(10, 27, "high"))
    assert validate_bands(phq_scale(bands=bands)) == ["The first band starts at 1, but the lowest possible score is 0."]


def test_validate_bands_catches_a_band_nested_inside_another():
    bands = (BandSpec(0, 27, "all"), BandSpec(5, 9, "mild"))
    problems = validate_bands(phq_scale(bands=bands))
    assert len(problems) == 1
    assert "overlap" in problems[0]


def test_validate_bands_catches_a_band_off_the_scales_resolution():
    bands = (BandSpec(0, 4.5, "low"), BandSpec(5.5, 27, "high"))
    problems = validate_bands(phq_scale(bands=bands))
    assert any("should end on a multiple of 1" in problem for problem in problems)
    assert any("should start on a multiple of 1" in problem for problem in problems)


def test_validate_bands_catches_an_inverted_band_and_no_bands():
    assert validate_bands(phq_scale(bands=())) == ["Scale 'total' has no bands."]
    problems = validate_bands(phq_scale(bands=(BandSpec(0, 27, "all"), BandSpec(9, 5, "odd"))))
    assert any("above where it ends" in problem for problem in problems)


def test_integer_bands_leave_gaps_on_a_prorating_scale():
    problems = validate_bands(phq_scale(max_missing=1))
    assert "Scores between 4 and 5 fall in no band (after 'minimal', before 'mild')." in problems
    assert validate_bands(phq_scale(max_missing=1, bands=PRORATED_PHQ_BANDS)) == []


def test_mean_scale_bands_in_hundredths_are_contiguous_and_a_skipped_hundredth_is_a_gap():
    good = (BandSpec(1, 2.99, "low"), BandSpec(3, 5, "high"))
    gapped = (BandSpec(1, 2.99, "low"), BandSpec(3.01, 5, "high"))
    assert validate_bands(mood_scale(good)) == []
    assert validate_bands(mood_scale(gapped)) == [
        "Scores between 2.99 and 3.01 fall in no band (after 'low', before 'high')."
    ]


def test_band_for_rounds_half_up_to_the_scales_resolution():
    scale = mood_scale((BandSpec(1, 2.99, "low"), BandSpec(3, 5, "high")))
    assert band_for(scale, 2.994).label == "low"
    assert band_for(scale, 2.995).label == "high"
    assert band_for(scale, 5).label == "high"


def test_band_for_refuses_a_value_outside_the_range():
    with pytest.raises(ValueError, match="outside scale 'total'"):
        band_for(phq_scale(), 28)


def test_band_for_finds_no_band_in_a_gap():
    bands = (BandSpec(0, 4, "minimal"), BandSpec(6, 27, "more"))
    assert band_for(phq_scale(bands=bands), 5) is None


# Examples: reliable change and outcome categories (sd 5, r 0.84: SE 2, S_diff 2.828...)


def test_standard_errors_match_a_hand_calculation():
    assert standard_error(5, 0.84) == pytest.approx(2.0)
    assert standard_error_of_difference(5, 0.84) == pytest.approx(2.828427, abs=1e-6)
    assert reliable_change_threshold(5, 0.84) == pytest.approx(5.543717, abs=1e-6)


def test_drop_from_18_to_8_is_a_reliable_improvement():
    change = reliable_change(18, 8, 5, 0.84)
    assert reliable_change_index(18, 8, 5, 0.84) == pytest.approx(-3.5355, abs=1e-4)
    assert change.rci == pytest.approx(-3.5355, abs=1e-4)
    assert change.change == -10
    assert change.reliable
    assert change.direction == Direction.IMPROVED
    assert change.direction == "improved"


def test_drop_from_18_to_8_across_cutoff_10_is_recovered():
    assert outcome_category(18, 8, 5, 0.84, cutoff=10) == "recovered"


def test_reliable_improvement_that_stays_clinical_is_improved():
    # 27 -> 20: RCI -2.47, both at or above 10.
    assert outcome_category(27, 20, 5, 0.84, cutoff=10) == Outcome.IMPROVED


def test_reliable_improvement_that_started_below_the_cutoff_is_improved_not_recovered():
    # 9 -> 1: RCI -2.83, but 9 was already on the non-clinical side.
    assert outcome_category(9, 1, 5, 0.84, cutoff=10) == Outcome.IMPROVED


def test_crossing_the_cutoff_without_reliable_change_is_unchanged():
    change = reliable_change(11, 9, 5, 0.84)
    assert not change.reliable
    assert change.direction == "no reliable change"
    assert outcome_category(11, 9, 5, 0.84, cutoff=10) == Outcome.UNCHANGED


def test_reliable_rise_on_a_higher_is_worse_scale_is_deteriorated():
    # 8 -> 16: RCI +2.83.
    assert reliable_change(8, 16, 5, 0.84).direction == Direction.DETERIORATED
    assert outcome_category(8, 16, 5, 0.84, cutoff=10) == Outcome.DETERIORATED


def test_reliable_rise_on_a_higher_is_better_scale_crossing_the_cutoff_is_recovered():
    change = reliable_change(10, 20, 5, 0.84, higher_is_worse=False)
    assert change.direction == Direction.IMPROVED
    assert outcome_category(10, 20, 5, 0.84, cutoff=15, higher_is_worse=False) == Outcome.RECOVERED
    assert outcome_category(20, 10, 5, 0.84, cutoff=15, higher_is_worse=False) == Outcome.DETERIORATED


def test_change_just_under_the_reliable_threshold_is_not_reliable():
    # S_diff is 2.828..., so 1.96 * S_diff is 5.54 points.
    assert not reliable_change(15, 9.55, 5, 0.84).reliable
    assert reliable_change(15, 9.45, 5, 0.84).reliable


def test_cutoff_score_itself_counts_as_clinical():
    assert is_clinical(10, 10)
    assert not is_clinical(9, 10)
    assert is_clinical(15, 15, higher_is_worse=False)
    assert not is_clinical(16, 15, higher_is_worse=False)


def test_scale_helpers_use_the_scales_own_parameters():
    scale = phq_scale(reference_sd=5, reliability=0.84)
    assert reliable_change_for(scale, 18, 8).rci == pytest.approx(-3.5355, abs=1e-4)
    assert outcome_for(scale, 18, 8) == Outcome.RECOVERED


def test_scale_helpers_refuse_a_scale_without_reliable_change_parameters():
    with pytest.raises(ValueError, match="no reference_sd"):
        reliable_change_for(phq_scale(), 18, 8)


@pytest.mark.parametrize("sd", [0, -5, math.nan, math.inf])
def test_reliable_change_refuses_a_standard_deviation_that_is_not_positive(sd):
    with pytest.raises(ValueError, match="standard deviation must be a positive number"):
        reliable_change(18, 8, sd, 0.84)


@pytest.mark.parametrize("r", [-0.1, 1, 1.5, math.nan])
def test_reliable_change_refuses_a_reliability_outside_zero_to_below_one(r):
    with pytest.raises(ValueError, match="reliability must be at least 0 and below 1"):
        outcome_category(18, 8, 5, r, cutoff=10)


def test_scale_refuses_bad_reliable_change_parameters_when_built():
    with pytest.raises(ValueError, match="reliability"):
        phq_scale(reference_sd=5, reliability=1)
    with pytest.raises(ValueError, match="both reference_sd and reliability"):
        phq_scale(reference_sd=5)


# Properties


@st.composite
def item_ranges(draw) -> tuple[int, int]:
    low = draw(st.integers(-3, 5))
    return low, low + draw(st.integers(1, 10))


@st.composite
def scales(draw, allow_missing: bool = True) -> ScaleSpec:
    """Any scale: sum or mean, shared or mixed item ranges, some reverse-keyed, maybe allowing missing answers."""
    n = draw(st.integers(1, 8))
    shared = draw(st.booleans())
    first = draw(item_ranges())
    ranges = [first if shared else draw(item_ranges()) for _ in range(n)]
    items = [ItemSpec(f"i{k}", low, high, reverse_keyed=draw(st.booleans())) for k, (low, high) in enumerate(ranges)]
    max_missing = draw(st.integers(0, n - 1)) if allow_missing and shared else 0
    return ScaleSpec("s", "S", items, draw(st.sampled_from(["sum", "mean"])), max_missing)


@st.composite
def banded_scales(draw) -> ScaleSpec:
    """A scale with bands cut from its range at random points on its resolution grid."""
    scale = draw(scales())
    step = Decimal(str(scale.resolution))
    low, high = (Decimal(str(end)) for end in scale.score_range)
    steps = int((high - low) / step)
    cuts = sorted(draw(st.sets(st.integers(1, steps), max_size=min(steps, 6))))
    starts = [low + cut * step for cut in [0, *cuts]]
    ends = [start - step for start in starts[1:]] + [high]
    bands = [BandSpec(float(a), float(b), f"band {k}", k) for k, (a, b) in enumerate(zip(starts, ends, strict=True))]
    return ScaleSpec(scale.key, scale.label, scale.items, scale.method, scale.max_missing, bands)


@property_settings
@given(data=st.data(), low=st.integers(-5, 5), width=st.integers(1, 10), reverse=st.booleans())
def test_reverse_keyed_item_always_contributes_min_plus_max_minus_value(data, low, width, reverse):
    high = low + width
    value = data.draw(st.integers(low, high))
    spec = InstrumentSpec("one", [ScaleSpec("s", "S", [ItemSpec("x", low, high, reverse_keyed=reverse)])])
    expected = low + high - value if reverse else value
    assert score(spec, {"x": value}).scale("s").value == expected


@property_settings
@given(data=st.data(), scale=scales(allow_missing=False))
def test_complete_answers_always_score_within_the_scales_range(data, scale):
    answers = {item.key: data.draw(st.integers(item.min_value, item.max_value)) for item in scale.items}
    result = score(InstrumentSpec("i", [scale]), answers).scale("s")
    low, high = scale.score_range
    assert not result.prorated
    assert low <= result.value <= high


@property_settings
@given(data=st.data(), scale=scales().filter(lambda scale: scale.max_missing > 0))
def test_prorated_totals_always_score_within_the_scales_range(data, scale):
    skipped = data.draw(st.sets(st.sampled_from(scale.item_keys), min_size=1, max_size=scale.max_missing))
    answers = {
        item.key: data.draw(st.integers(item.min_value, item.max_value))
        for item in scale.items
        if item.key not in skipped
    }
    result = score(InstrumentSpec("i", [scale]), answers).scale("s")
    low, high = scale.score_range
    assert result.prorated
    assert low <= result.value <= high


@property_settings
@given(data=st.data(), scale=banded_scales())
def test_banding_is_total_over_the_range_when_bands_validate(data, scale):
    assert validate_bands(scale) == []
    step = Decimal(str(scale.resolution))
    low, high = (Decimal(str(end)) for end in scale.score_range)
    on_grid = low + data.draw(st.integers(0, int((high - low) / step))) * step
    containing = [band for band in scale.bands if Decimal(str(band.low)) <= on_grid <= Decimal(str(band.high))]
    assert len(containing) == 1
    assert band_for(scale, float(on_grid)) == containing[0]
    anywhere = data.draw(st.floats(float(low), float(high)))
    assert band_for(scale, anywhere) is not None


@property_settings
@given(data=st.data(), scale=banded_scales())
def test_every_scored_response_gets_a_band_when_bands_validate(data, scale):
    answers = {item.key: data.draw(st.integers(item.min_value, item.max_value)) for item in scale.items}
    for key in data.draw(st.sets(st.sampled_from(scale.item_keys), max_size=scale.max_missing)):
        answers[key] = None
    result = score(InstrumentSpec("i", [scale]), answers).scale("s")
    assert result.band is not None
    assert result.band.low <= result.value <= result.band.high
