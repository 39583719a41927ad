"""Reliability from the practice's own data: alpha, Feldt's interval, item-rest correlations, adoption."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import reliability, services
from assessments.models import AdoptedReliability, Response
from assessments.reliability_estimates import AdoptionRefused, reliability_adopt, reliability_estimates

# Five respondents answer three items; the item-rest and totals columns are worked out by hand below.
#
#        a  b  c | total | rest of a (b+c) | rest of b (a+c) | rest of c (a+b)
#   r1   1  2  2 |   5   |        4        |        3        |        3
#   r2   2  3  3 |   8   |        6        |        5        |        5
#   r3   3  3  4 |  10   |        7        |        7        |        6
#   r4   4  4  3 |  11   |        7        |        7        |        8
#   r5   5  3  5 |  13   |        8        |       10        |        8
#
# Means: a 3, b 3, c 3.4, total 9.4. Sums of squared deviations (SS):
#   a: 4 + 1 + 0 + 1 + 4 = 10                        -> variance 10 / 4 = 2.5
#   b: 1 + 0 + 0 + 1 + 0 = 2                         -> variance 2 / 4 = 0.5
#   c: 1.96 + 0.16 + 0.36 + 0.16 + 2.56 = 5.2        -> variance 5.2 / 4 = 1.3
#   total: 19.36 + 1.96 + 0.36 + 2.56 + 12.96 = 37.2 -> variance 37.2 / 4 = 9.3
# alpha = k / (k - 1) * (1 - sum of item variances / total variance)
#       = 3 / 2 * (1 - (2.5 + 0.5 + 1.3) / 9.3) = 3 / 2 * 5 / 9.3 = 7.5 / 9.3 = 25 / 31 = 0.80645
HAND_TABLE = [[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 4, 3], [5, 3, 5]]
HAND_ALPHA = 25 / 31


def test_alpha_matches_a_hand_computed_example():
    assert reliability.variance([1, 2, 3, 4, 5]) == pytest.approx(2.5)
    assert reliability.variance([5, 8, 10, 11, 13]) == pytest.approx(9.3)
    assert reliability.cronbach_alpha(HAND_TABLE) == pytest.approx(HAND_ALPHA, abs=1e-12)


def test_item_rest_correlations_match_hand_computed_values():
    # a with b+c: cross-products of deviations (-2,-1,0,1,2)·(-2.4,-0.4,0.6,0.6,1.6) = 9, SS 10 and 9.2:
    #   r = 9 / sqrt(10 * 9.2) = 0.93831
    # b with a+c: (-1,0,0,1,0)·(-3.4,-1.4,0.6,0.6,3.6) = 4, SS 2 and 27.2:   r = 4 / sqrt(54.4) = 0.54233
    # c with a+b: (-1.4,-0.4,0.6,-0.4,1.6)·(-3,-1,0,2,2) = 7, SS 5.2 and 18: r = 7 / sqrt(93.6) = 0.72354
    assert reliability.item_rest_correlations(HAND_TABLE) == pytest.approx([0.93831, 0.54233, 0.72354], abs=1e-5)


def test_f_quantiles_match_the_printed_tables():
    # Upper percentage points of F as printed in standard tables of the F distribution (2.5 %, 5 % and 1 %).
    assert reliability.f_quantile(0.975, 4, 8) == pytest.approx(5.053, abs=1e-3)
    assert reliability.f_quantile(0.975, 8, 4) == pytest.approx(8.980, abs=1e-3)
    assert reliability.f_quantile(0.95, 5, 10) == pytest.approx(3.326, abs=1e-3)
    assert reliability.f_quantile(0.99, 1, 1) == pytest.approx(4052.18, abs=0.01)
    assert reliability.f_cdf(reliability.f_quantile(0.3, 7, 21), 7, 21) == pytest.approx(0.3, abs=1e-12)


def test_feldt_interval_of_the_hand_example():
    # n = 5, k = 3: df1 = 4, df2 = 8. F(0.975; 4, 8) = 5.0526 and F(0.025; 4, 8) = 1 / F(0.975; 8, 4) = 1 / 8.9796.
    # lower = 1 - (1 - 25/31) * 5.0526 = 1 - 0.19355 * 5.0526 = 0.0221
    # upper = 1 - (1 - 25/31) / 8.9796 = 1 - 0.19355 / 8.9796 = 0.9784
    lower, upper = reliability.feldt_interval(HAND_ALPHA, 5, 3)
    assert lower == pytest.approx(0.0221, abs=1e-4)
    assert upper == pytest.approx(0.9784, abs=1e-4)


def test_feldt_interval_narrows_with_more_respondents_and_contains_alpha():
    small = reliability.feldt_interval(0.8, 30, 10)
    large = reliability.feldt_interval(0.8, 300, 10)
    assert small[0] < large[0] < 0.8 < large[1] < small[1]


def test_missing_answers_are_deleted_listwise():
    rows = [dict(zip("abc", row, strict=True)) for row in HAND_TABLE]
    rows += [{"a": 1, "b": None, "c": 2}, {"a": 3, "c": 1}]
    estimate = reliability.estimate(rows, ["a", "b", "c"])
    assert (estimate.n, estimate.excluded, estimate.k) == (5, 2, 3)
    assert estimate.alpha == pytest.approx(HAND_ALPHA)
    assert estimate.sd == pytest.approx(9.3**0.5)
    assert [item.key for item in estimate.item_rest] == ["a", "b", "c"]
    assert not estimate.enough and not estimate.adoptable


def test_alpha_is_undefined_when_scores_do_not_vary_or_a_scale_has_one_item():
    assert reliability.cronbach_alpha([[2, 2], [2, 2], [2, 2]]) is None
    assert reliability.cronbach_alpha([[1], [2], [3]]) is None
    assert reliability.item_rest_correlations([[1, 2], [1, 3], [1, 4]]) == [None, None]


# --- From the practice's responses -----------------------------------------------------------------------------------

SCALE = [{"code": str(value), "label": f"Option {value}", "value": value} for value in range(4)]


def alpha_document() -> dict:
    """Three items scored 0 to 3, one of them reverse-keyed, no conditions; published r 0.8, SD 2.5."""
    return {
        "format": "tandem-instrument/1",
        "slug": "alpha-check",
        "title": "Alpha check",
        "answer_scales": [{"key": "s", "label": "How much", "options": copy.deepcopy(SCALE)}],
        "items": [
            {"key": "a", "type": "single_choice", "text": "A", "answer_scale": "s"},
            {"key": "b", "type": "single_choice", "text": "B", "answer_scale": "s"},
            {"key": "c", "type": "single_choice", "text": "C", "answer_scale": "s", "reverse_keyed": True},
        ],
        "scales": [
            {
                "key": "total",
                "label": "Total",
                "total": True,
                "items": ["a", "b", "c"],
                "reference_sd": 2.5,
                "reliability": 0.8,
                "bands": [{"low": 0, "high": 4, "label": "Low"}, {"low": 5, "high": 9, "label": "High"}],
            }
        ],
    }


def answers_for(a: int, b: int, c: int) -> dict:
    """Answers whose contributions are a, b and c (c is reverse-keyed, so its answer is 3 - c)."""
    return {"a": str(a), "b": str(b), "c": str(3 - c)}


#: Contributions of 30 consistent first responses: each item close to the others, so alpha is high.
CONSISTENT = [(v, v, min(3, v + (i % 5 == 0))) for i, v in enumerate(i % 4 for i in range(30))]


@pytest.fixture
def version(make_version):
    return make_version(alpha_document())


@pytest.fixture
def respond(version):
    def make(respondent, contributions, *, days_ago: int = 0):
        answers = answers_for(*contributions)
        completed = timezone.now() - timedelta(days=days_ago)
        scores = services.version_score(version, answers)
        return Response.objects.create(
            version=version, respondent=respondent, answers=answers, scores=scores, completed_at=completed
        )

    return make


@pytest.fixture
def practice_data(respond, make_client, tess, uma, cara):
    """Thirty first responses in Tess's practice (Cara's among them, half the clients Uma's), oldest first."""
    respond(cara, CONSISTENT[0], days_ago=40)
    for n, contributions in enumerate(CONSISTENT[1:]):
        respond(make_client(tess if n % 2 else uma), contributions, days_ago=40)


def expected(rows) -> reliability.Estimate:
    return reliability.estimate([dict(zip("abc", row, strict=True)) for row in rows], ["a", "b", "c"])


def test_the_estimate_uses_reverse_keyed_contributions_from_the_practice(version, practice_data, tess):
    (scale,) = reliability_estimates(version=version, user=tess)
    want = expected(CONSISTENT)
    assert scale.estimate.n == 30
    assert scale.estimate.alpha == pytest.approx(want.alpha) and scale.estimate.alpha > 0.9
    assert scale.estimate.interval == pytest.approx(want.interval)
    assert scale.published_reliability == 0.8 and scale.adopted is None


def test_only_the_first_response_of_each_client_counts(version, respond, cara, fiona):
    respond(cara, (0, 3, 0), days_ago=20)
    respond(cara, (3, 3, 3), days_ago=10)
    respond(cara, (2, 2, 2), days_ago=5)
    respond(fiona, (1, 1, 2), days_ago=30)
    respond(fiona, (0, 0, 0), days_ago=1)
    Response.objects.create(version=version, respondent=fiona, answers=answers_for(3, 0, 3))  # not completed
    (scale,) = reliability_estimates(version=version, user=cara.practice.memberships.get(role="owner").user)
    assert scale.estimate.n == 2
    assert scale.estimate.alpha == pytest.approx(expected([(0, 3, 0), (1, 1, 2)]).alpha)


def test_another_practice_responses_never_count(version, respond, practice_data, tess, otto, olga, make_client):
    respond(olga, (0, 3, 0), days_ago=50)
    for _n in range(30):
        respond(make_client(otto), (3, 0, 3), days_ago=50)
    (ours,) = reliability_estimates(version=version, user=tess)
    (theirs,) = reliability_estimates(version=version, user=otto)
    assert ours.estimate.n == 30 and ours.estimate.alpha == pytest.approx(expected(CONSISTENT).alpha)
    assert theirs.estimate.n == 31


def test_a_therapist_estimate_comes_only_from_their_own_clients(version, practice_data, uma):
    (scale,) = reliability_estimates(version=version, user=uma)
    assert scale.estimate.n == 15  # the fifteen of the thirty that are Uma's clients
    assert not scale.estimate.enough


def test_gathering_the_data_takes_the_same_queries_for_three_clients_and_for_forty(version, respond, make_client, tess):
    def count() -> int:
        services.published_form(version)  # the parsed form is cached per process
        with CaptureQueriesContext(connection) as queries:
            reliability_estimates(version=version, user=tess)
        return len(queries)

    for n in range(3):
        respond(make_client(tess), CONSISTENT[n])
    few = count()
    for n in range(37):
        respond(make_client(tess), CONSISTENT[n % 30], days_ago=n)
    assert count() == few <= 4


def test_below_thirty_responses_the_page_says_there_is_not_enough_data(client, version, respond, tess, cara):
    respond(cara, (1, 1, 1))
    client.force_login(tess)
    page = client.get(reverse("admin:assessments_instrumentversion_reliability", args=[version.pk])).content.decode()
    assert "Not enough data yet: 1 complete responses, at least 30 are needed" in page
    assert "Cronbach&#x27;s alpha" not in page and "Use alpha" not in page
    with pytest.raises(AdoptionRefused):
        reliability_adopt(version=version, scale_key="total", user=tess)
    url = reverse("admin:assessments_instrumentversion_reliability_adopt", args=[version.pk])
    client.post(url, {"scale": "total", "action": "adopt"})
    assert not AdoptedReliability.objects.exists()


def test_the_owner_sees_alpha_its_interval_and_item_rest_correlations(client, version, practice_data, tess):
    client.force_login(tess)
    page = client.get(reverse("admin:assessments_instrumentversion_reliability", args=[version.pk])).content.decode()
    want = expected(CONSISTENT)
    assert 'class="reliability-n">30<' in page
    assert f'class="reliability-alpha">{want.alpha:.2f}<' in page
    assert f"{want.interval[0]:.2f} to {want.interval[1]:.2f}" in page
    for item in want.item_rest:
        assert f"<td>{item.key}</td><td>{item.correlation:.2f}</td>" in page
    assert "Use alpha" in page
    change = client.get(reverse("admin:assessments_instrumentversion_change", args=[version.pk])).content.decode()
    assert reverse("admin:assessments_instrumentversion_reliability", args=[version.pk]) in change


def test_a_therapist_may_read_but_not_adopt(client, version, practice_data, uma):
    client.force_login(uma)
    url = reverse("admin:assessments_instrumentversion_reliability_adopt", args=[version.pk])
    assert client.post(url, {"scale": "total", "action": "adopt"}).status_code in (403, 404)
    assert not AdoptedReliability.objects.exists()


def test_adopting_changes_the_reliable_change_verdict_on_the_score_page(
    client, version, respond, practice_data, tess, uma, otto, cara
):
    # Cara's first total is 0 (CONSISTENT[0]); her latest is 3. Published r 0.8, SD 2.5:
    # S_diff = sqrt(2) * 2.5 * sqrt(0.2) = 1.581, RCI = 3 / 1.581 = 1.90 < 1.96: no reliable change.
    latest = respond(cara, (1, 1, 1), days_ago=0)
    page_url = reverse("admin:assessments_response_change", args=[latest.pk])
    client.force_login(tess)
    before = client.get(page_url).content.decode()
    assert "no reliable change" in before and "reliability estimated from" not in before
    definition = copy.deepcopy(version.definition)

    response = client.post(
        reverse("admin:assessments_instrumentversion_reliability_adopt", args=[version.pk]),
        {"scale": "total", "action": "adopt"},
    )
    assert response.status_code == 302
    adopted = AdoptedReliability.objects.get()
    want = expected(CONSISTENT)
    assert adopted.reliability == pytest.approx(want.alpha) and adopted.n == 30
    assert adopted.scope == f"practice:{cara.practice_id}" and adopted.adopted_by == tess
    assert "estimated from 30 responses on" in adopted.source

    # With alpha ~0.96: S_diff = sqrt(2) * 2.5 * sqrt(1 - alpha) < 0.75, so a change of 3 is reliable.
    after = client.get(page_url).content.decode()
    assert "deteriorated" in after and "no reliable change" not in after
    assert "reliability estimated from 30 responses in this practice" in after
    version.refresh_from_db()
    assert version.definition == definition  # the frozen version is untouched

    (colleague,) = reliability_estimates(version=version, user=uma)
    assert colleague.adopted == adopted  # the adoption is the practice's: Uma's score pages use it too
    (theirs,) = reliability_estimates(version=version, user=otto)
    assert theirs.adopted is None  # another practice keeps the published reliability

    client.force_login(tess)
    client.post(
        reverse("admin:assessments_instrumentversion_reliability_adopt", args=[version.pk]),
        {"scale": "total", "action": "restore"},
    )
    assert not AdoptedReliability.objects.exists()
    assert "no reliable change" in client.get(page_url).content.decode()


def test_a_scale_without_a_reference_sd_uses_the_sd_of_the_same_responses(
    make_version, make_client, tess, cara, client
):
    doc = alpha_document()
    del doc["scales"][0]["reference_sd"], doc["scales"][0]["reliability"]
    version = make_version(doc)
    for n, contributions in enumerate(CONSISTENT):
        respondent = cara if n == 0 else make_client(tess)
        answers = answers_for(*contributions)
        Response.objects.create(
            version=version,
            respondent=respondent,
            answers=answers,
            scores=services.version_score(version, answers),
            completed_at=timezone.now() - timedelta(days=10),
        )
    latest = Response.objects.create(
        version=version,
        respondent=cara,
        answers=answers_for(2, 2, 2),
        scores=services.version_score(version, answers_for(2, 2, 2)),
        completed_at=timezone.now(),
    )
    client.force_login(tess)
    page_url = reverse("admin:assessments_response_change", args=[latest.pk])
    assert "RCI" not in client.get(page_url).content.decode()
    row = reliability_adopt(version=version, scale_key="total", user=tess)
    assert row.sample_sd == pytest.approx(expected(CONSISTENT).sd)
    page = client.get(page_url).content.decode()
    assert "RCI" in page and "reliability estimated from 30 responses in this practice" in page
