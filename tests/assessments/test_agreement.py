"""Two partners' answers compared item by item, against a hand-computed example."""

from __future__ import annotations

from assessments import agreement, document
from tests.assessments.conftest import small_document

AGREE = [{"code": str(n), "label": f"Agree {n}", "value": n} for n in range(1, 6)]


def statement(key: str, text: str, reverse: bool = False) -> dict:
    item = {"key": key, "type": "single_choice", "text": text, "answer_scale": "agree"}
    return item | ({"reverse_keyed": True} if reverse else {})


def couple_document() -> dict:
    """Six statements scored 1 to 5 where higher is better; u2 and u4 are reverse-keyed, so healthy low."""
    better = {"higher_is_worse": False}
    return document.parse(
        {
            "format": document.FORMAT,
            "slug": "us",
            "title": "Us",
            "couples": True,
            "answer_scales": [{"key": "agree", "options": AGREE}],
            "items": [
                statement("u1", "We listen to each other."),
                statement("u2", "I give in to keep the peace.", reverse=True),
                statement("u3", "We make time for each other."),
                statement("u4", "I feel responsible for my partner's moods.", reverse=True),
                statement("u5", "We can disagree and stay close."),
                statement("u6", "I keep my own friendships."),
            ],
            "scales": [
                {"key": "closeness", "label": "Closeness", "items": ["u1", "u3", "u5"], **better},
                {"key": "self", "label": "Self", "items": ["u2", "u4", "u6"], "max_missing": 1, **better},
                {"key": "total", "label": "Total", "total": True, "items": [f"u{n}" for n in range(1, 7)], **better},
            ],
        }
    )


A = {"u1": "5", "u2": "1", "u3": "2", "u4": "4", "u5": "3", "u6": "4"}
B = {"u1": "4", "u2": "2", "u3": "1", "u4": "5", "u5": "5"}  # B skipped u6


def test_the_lists_and_percentages_match_the_hand_computed_example() -> None:
    result = agreement.compare(couple_document(), A, B)
    # u1: 5 and 4, both above the middle (3) of 1-5, healthy high: a shared strength.
    # u2 (reverse-keyed, healthy low): 1 and 2, both below the middle: a shared strength.
    # u3: 2 and 1, both below the middle, healthy high: a shared growth area.
    # u4 (reverse-keyed): 4 and 5, both above the middle, healthy low: a shared growth area.
    # u5: 3 (the middle, neither) and 5: not shared, but 2 points apart: different views.
    # u6: B gave no answer: compared nowhere.
    assert [item.key for item in result.strengths] == ["u1", "u2"]
    assert [item.key for item in result.growth_areas] == ["u3", "u4"]
    assert [item.key for item in result.different_views] == ["u5"]
    assert result.strengths[0].text == "We listen to each other."
    u6 = next(item for item in result.items if item.key == "u6")
    assert (u6.a, u6.b, u6.category, u6.compared) == (4, None, None, False)
    # closeness: u1 positive of u1, u3, u5 = 1/3 = 33 %; self: u2 of u2, u4 (u6 missing) = 1/2 = 50 %;
    # total: u1, u2 of five compared = 2/5 = 40 %.
    assert [(s.key, s.compared, s.positive, s.percent) for s in result.scales] == [
        ("closeness", 3, 1, 33),
        ("self", 2, 1, 50),
        ("total", 5, 2, 40),
    ]


def test_the_order_of_the_partners_changes_only_who_is_a_and_who_is_b() -> None:
    forward, backward = agreement.compare(couple_document(), A, B), agreement.compare(couple_document(), B, A)
    assert forward.summary() == backward.summary()
    assert [(item.a, item.b) for item in forward.items] == [(item.b, item.a) for item in backward.items]


def test_the_summary_holds_the_lists_and_scales_but_no_answers() -> None:
    summary = agreement.compare(couple_document(), A, B).summary()
    assert summary["strengths"] == [
        {"key": "u1", "text": "We listen to each other."},
        {"key": "u2", "text": "I give in to keep the peace."},
    ]
    assert summary["scales"][0] == {
        "key": "closeness",
        "label": "Closeness",
        "compared": 3,
        "positive": 1,
        "percent": 33,
    }
    flat = repr(summary)
    assert "'a'" not in flat and "'b'" not in flat and "value" not in flat


def test_nothing_compared_gives_no_percentage() -> None:
    result = agreement.compare(couple_document(), {}, B)
    assert all(scale.percent is None and scale.compared == 0 for scale in result.scales)
    assert not (result.strengths or result.growth_areas or result.different_views)


def test_answers_both_healthy_on_a_wide_range_are_a_strength_not_different_views() -> None:
    assert agreement.classify(5, 7, 1, 7, "high") == agreement.STRENGTH
    assert agreement.classify(1, 3, 1, 7, "high") == agreement.GROWTH
    assert agreement.classify(3, 5, 1, 7, "high") == agreement.DIFFERENT  # 3 unhealthy, 5 healthy
    assert agreement.classify(4, 5, 1, 7, "high") is None  # 4 is the middle; 1 point apart
    assert agreement.leaning(0, 0, 3, "low") == 1 and agreement.leaning(2, 0, 3, "low") == -1


def test_a_question_hidden_by_its_condition_is_not_compared() -> None:
    doc = document.parse(small_document() | {"couples": True})
    # "harm" is shown only when "low" is at least 1: hidden for A, so not compared.
    result = agreement.compare(doc, {"low": "0", "calm": "3", "harm": "0"}, {"low": "1", "calm": "3", "harm": "0"})
    harm = next(item for item in result.items if item.key == "harm")
    assert harm.a is None and not harm.compared
    # low (healthy low on 0-3): 0 and 1 are both below the middle, 1.5; calm is reverse-keyed under a
    # higher-is-worse total, so healthy high: 3 and 3. Both shared strengths, of the two compared.
    assert [item.key for item in result.strengths] == ["low", "calm"]
    assert [(s.compared, s.positive, s.percent) for s in result.scales] == [(2, 2, 100)]
