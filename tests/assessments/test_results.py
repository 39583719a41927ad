"""Results for the therapist: one response in full, history with charts, change, review queue, exports, audit."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeData
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import charts, exports, results, scoring, services
from assessments.models import AccessAction, AccessEvent, Response

ANSWERS = {"low": "3", "calm": "0", "harm": "2"}


@pytest.fixture
def make_response(make_version):
    version_cache = {}

    def make(respondent, answers=None, *, days_ago: int = 0, version=None):
        version = version or version_cache.setdefault("v", make_version())
        answers = answers if answers is not None else ANSWERS
        completed = timezone.now() - timedelta(days=days_ago)
        return Response.objects.create(
            version=version,
            respondent=respondent,
            answers=answers,
            scores=services.version_score(version, answers),
            flagged=bool(services.version_score(version, answers)["risk_flags"]),
            started_at=completed - timedelta(minutes=4),
            completed_at=completed,
        )

    return make


def test_reliable_change_matches_a_hand_computed_value():
    scale = scoring.ScaleSpec(
        key="total",
        label="Total",
        items=(scoring.ItemSpec("a", 0, 30),),
        clinical_cutoff=15,
        reference_sd=7.7,
        reliability=0.90,
    )
    change = results.change_between(scale, 20, 12, timezone.now())
    # S_diff = 7.7 * sqrt(2) * sqrt(1 - 0.90) = 3.4435; RCI = (12 - 20) / 3.4435 = -2.323
    assert change.rci == pytest.approx(-2.3232, abs=1e-3)
    assert change.direction == "improved" and change.outcome == "recovered"
    small = results.change_between(scale, 20, 17, timezone.now())
    assert small.direction == "no reliable change" and small.outcome == "unchanged"
    worse = results.change_between(scale, 10, 18, timezone.now())
    assert worse.direction == "deteriorated" and worse.outcome == "deteriorated"


def test_the_response_page_shows_flags_answers_scores_and_change(client, tess, cara, make_response):
    first = make_response(cara, {"low": "1", "calm": "3", "harm": "0"}, days_ago=60)
    make_response(cara, {"low": "2", "calm": "2", "harm": "0"}, days_ago=30)
    latest = make_response(cara, days_ago=0)
    client.force_login(tess)
    page = client.get(reverse("admin:assessments_response_change", args=[latest.pk])).content.decode()
    assert page.index("Risk flags") < page.index("Scores") < page.index("Answers")
    assert "Self-harm thoughts" in page
    assert "Nearly every day" in page and "reverse-keyed" in page
    assert "High" in page and "Marked distress." in page
    assert "1 → 8" in page and "3 → 8" in page  # since the first and since the previous
    assert "RCI" in page and "deteriorated" in page
    assert "4 minutes" in page and "Not yet" in page
    event = AccessEvent.objects.get()
    assert (event.user, event.action, event.response, event.respondent) == (tess, "viewed", latest, cara)
    assert first.pk != latest.pk


@pytest.mark.parametrize("who", ["uma", "otto"])
def test_another_therapist_cannot_reach_a_response_or_its_exports(client, request, who, cara, make_response):
    response = make_response(cara)
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("admin:assessments_response_change", args=[response.pk])).status_code == 404
    assert client.post(reverse("admin:assessments_response_review", args=[response.pk])).status_code == 404
    for action in ("export_csv", "export_fhir", "mark_reviewed"):
        reply = client.post(
            reverse("admin:assessments_response_changelist"), {"action": action, "_selected_action": [response.pk]}
        )
        assert reply.status_code == 302 and "html" in reply.get("Content-Type", "")
    queue = client.get(reverse("admin:assessments_response_queue")).content.decode()
    assert cara.last_name not in queue
    assert not Response.objects.filter(reviewed_at__isnull=False).exists()
    assert not AccessEvent.objects.exists()


def test_marking_reviewed_records_who_and_when_and_empties_the_queue(client, tess, cara, make_client, make_response):
    calm = make_response(cara, {"low": "0"}, days_ago=2)
    risky = make_response(make_client(tess, last_name="Risky"), days_ago=1)
    client.force_login(tess)
    queue = client.get(reverse("admin:assessments_response_queue")).content.decode()
    assert "2 responses to review" in queue
    assert queue.index("Risky") < queue.index(cara.last_name)  # risk first
    client.post(reverse("admin:assessments_response_review", args=[risky.pk]), {"next": "queue"})
    risky.refresh_from_db()
    assert risky.reviewed_by == tess and risky.reviewed_at is not None
    assert "1 response to review" in client.get(reverse("admin:assessments_response_queue")).content.decode()
    assert AccessEvent.objects.filter(action=AccessAction.REVIEWED, response=risky).count() == 1
    assert calm.reviewed_at is None


def test_the_client_page_shows_the_history_with_a_chart(client, tess, cara, make_response):
    for days, low in ((120, "3"), (90, "2"), (60, "2"), (30, "1"), (0, "1")):
        make_response(cara, {"low": low, "calm": "1", "harm": "0"}, days_ago=days)
    client.force_login(tess)
    page = client.get(reverse("admin:clients_client_change", args=[cara.pk])).content.decode()
    start = page.index('class="trend-chart"')
    svg = page[start : page.index("</svg>", start)]
    assert svg.count('class="band"') == 3
    assert 'class="cutoff"' in svg
    assert len(re.findall(r'class="point" data-scale="total"', svg)) == 5
    assert 'role="img"' in svg and "<desc" in svg and "5 responses" in svg
    assert "Questionnaire history" in page and page.count("/admin/assessments/response/") >= 5
    assert AccessEvent.objects.filter(respondent=cara, action="viewed").count() == 1


def chart_svg(page: str) -> str:
    start = page.index("<svg", page.index('class="trend"'))
    return page[start : page.index("</svg>", start) + len("</svg>")]


def test_the_chart_shows_its_title_points_and_bands_and_escapes_every_label(
    client, tess, cara, make_response, make_version, make_document
):
    doc = make_document()
    doc["title"] = "Mood <b>check</b>"
    doc["scales"][0]["label"] = "Total <script>alert(1)</script>"
    doc["scales"][0]["bands"][0]["label"] = 'Low & "calm"'
    version = make_version(doc)
    for days, low in ((60, "0"), (30, "2"), (0, "3")):
        make_response(cara, {"low": low, "calm": "3", "harm": "0"}, days_ago=days, version=version)
    client.force_login(tess)
    svg = chart_svg(client.get(reverse("admin:clients_client_change", args=[cara.pk])).content.decode())
    assert "<script>" not in svg and "<b>" not in svg and 'Low & "calm"' not in svg
    label = "Total &lt;script&gt;alert(1)&lt;/script&gt;"
    title = re.search(r'<title id="trend-1-1-title">(.*?)</title>', svg).group(1)
    assert title == f"Mood &lt;b&gt;check&lt;/b&gt;: {label}"
    desc = re.search(r'<desc id="trend-1-1-desc">(.*?)</desc>', svg).group(1)
    assert desc.startswith(f"Mood &lt;b&gt;check&lt;/b&gt;, {label}: 3 responses, from 0 on ")
    assert 'aria-labelledby="trend-1-1-title trend-1-1-desc"' in svg
    bands = re.findall(r'<rect class="band"[^>]*><title>(.*?)</title></rect>', svg)
    assert bands == ["Low &amp; &quot;calm&quot;: 0 to 3", "Moderate: 4 to 6", "High: 7 to 9"]
    assert re.findall(r'<text class="band-label"[^>]*>(.*?)</text>', svg) == [
        "Low &amp; &quot;calm&quot;",
        "Moderate",
        "High",
    ]
    tips = re.findall(r'<circle class="point" data-scale="total"[^>]*><title>(.*?)</title>', svg)
    assert [tip.split(": ", 1)[1] for tip in tips] == [
        f"{label} 0 (Low &amp; &quot;calm&quot;)",
        f"{label} 2 (Low &amp; &quot;calm&quot;)",
        f"{label} 3 (Low &amp; &quot;calm&quot;)",
    ]
    assert re.search(r'<polyline class="series" data-scale="total" points="52\.0,236\.0 [\d., ]+ 624\.0,\d+\.\d"', svg)
    assert "<title>Clinical cut-off: 5</title>" in svg and ">cut-off 5</text>" in svg
    page = client.get(reverse("admin:clients_client_change", args=[cara.pk])).content.decode()
    legend = page[page.index('<ul class="trend-legend">') :]
    assert f'<span class="trend-legend-label">{label}</span>' in legend  # the whole label, escaped


def test_the_chart_model_is_plain_values_with_numbers_formatted_for_svg(make_version, cara, make_response):
    for days, low in ((14, "1"), (7, "3"), (0, "2")):
        make_response(cara, {"low": low, "calm": "3", "harm": "0"}, days_ago=days)
    (history,) = results.respondent_history(cara.pk)
    (chart,) = charts.history_charts(history, chart_id="c")
    assert chart.id == "c-1" and chart.title == "Mood check: Total"
    assert chart.summary.startswith("Mood check, Total: 3 responses, from 1 on ")
    assert [(band.label, band.low, band.high, band.fill) for band in chart.bands] == [
        ("Low", "0", "3", "#e8f1e4"),
        ("Moderate", "4", "6", "#f6efd9"),
        ("High", "7", "9", "#f7e2cf"),
    ]
    assert [(tick.label, tick.y) for tick in chart.value_ticks] == [
        ("0", "236.0"),
        ("2", "187.1"),
        ("4", "138.2"),
        ("6", "89.3"),
        ("8", "40.4"),
    ]
    assert chart.cutoff == charts.Cutoff(value="5", y="113.8", label_y="109.8")
    (series,) = chart.series
    assert series.key == "total" and series.colour == charts.PALETTE[0] and series.dash == ""
    assert [(marker.cx, marker.cy) for marker in series.markers] == [
        ("52.0", "211.6"),
        ("338.0", "162.7"),
        ("624.0", "187.1"),
    ]
    assert series.points == "52.0,211.6 338.0,162.7 624.0,187.1"
    assert [tip.split(": ", 1)[1] for tip in (marker.tip for marker in series.markers)] == [
        "Total 1 (Low)",
        "Total 3 (Low)",
        "Total 2 (Low)",
    ]
    values = [chart.title, chart.summary, *(band.label for band in chart.bands), *(m.tip for m in series.markers)]
    assert not any(isinstance(value, SafeData) for value in values)


def queries(callable_) -> int:
    with CaptureQueriesContext(connection) as context:
        callable_()
    return len(context.captured_queries)


def test_result_pages_take_the_same_queries_for_one_response_and_for_two_hundred(client, tess, cara, make_response):
    client.force_login(tess)
    latest = make_response(cara)
    urls = [
        reverse("admin:clients_client_change", args=[cara.pk]),
        reverse("admin:assessments_response_change", args=[latest.pk]),
        reverse("admin:assessments_response_queue"),
    ]
    for url in urls:
        client.get(url)  # warm the per-process caches
    one = [queries(lambda url=url: client.get(url)) for url in urls]
    for days in range(1, 200):
        make_response(cara, days_ago=days)
    many = [queries(lambda url=url: client.get(url)) for url in urls]
    assert one == many


def hostile(text: str) -> str:
    """Mostly hostile: start the note with a formula character."""
    return ("=+-@\t\r"[len(text) % 6] + text) if len(text) % 3 else text


STORABLE_TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=st.text(STORABLE_TEXT, min_size=1, max_size=40).map(hostile))
def test_a_csv_export_never_carries_a_formula(note, cara, make_response):
    response = make_response(cara, {"low": "1", "calm": "1", "harm": "0", "notes": note})
    text = exports.responses_csv([response])
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(exports.FORMULA_STARTS), cell
    body = list(csv.reader(io.StringIO(text)))[1]
    header = next(iter(csv.reader(io.StringIO(text))))
    cell = body[header.index("answer mood-check:notes")]
    assert cell == ("'" + note if note.startswith(exports.FORMULA_STARTS) else note)


def test_exports_are_csv_and_a_fhir_bundle_and_are_logged(client, tess, cara, make_response):
    responses = [
        make_response(cara, days_ago=2),
        make_response(cara, {"low": "1", "calm": "3", "harm": "0"}, days_ago=1),
    ]
    client.force_login(tess)
    changelist = reverse("admin:assessments_response_changelist")
    selected = [r.pk for r in responses]
    reply = client.post(changelist, {"action": "export_csv", "_selected_action": selected})
    assert reply["Content-Type"].startswith("text/csv") and "no-store" in reply["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(b"".join(reply.streaming_content).decode())))
    assert [row["score mood-check:total"] for row in rows] == ["8", "1"]
    assert rows[0]["answer mood-check:low"] == "Nearly every day"
    reply = client.post(changelist, {"action": "export_fhir", "_selected_action": selected})
    bundle = json.loads(b"".join(reply.streaming_content))
    assert bundle["resourceType"] == "Bundle" and len(bundle["entry"]) == 2
    resource = bundle["entry"][0]["resource"]
    assert resource["resourceType"] == "QuestionnaireResponse" and resource["status"] == "completed"
    assert resource["questionnaire"].endswith("/fhir/Questionnaire/mood-check|1")
    events = AccessEvent.objects.filter(action=AccessAction.EXPORTED)
    assert events.count() == 4 and {e.note for e in events} == {"CSV of 2 responses", "FHIR bundle of 2 responses"}


def test_the_access_log_is_append_only_and_holds_no_answers(client, tess, cara, make_response):
    response = make_response(cara, {"low": "1", "calm": "1", "harm": "0", "notes": "private words"})
    client.force_login(tess)
    client.get(reverse("admin:assessments_response_change", args=[response.pk]))
    event = AccessEvent.objects.get()
    values = [str(value) for value in AccessEvent.objects.values().get().values()]
    assert not any("private words" in value or "Several days" in value for value in values)
    with pytest.raises(Exception, match="never changed"):
        event.save()
    page = client.get(reverse("admin:assessments_accessevent_change", args=[event.pk])).content.decode()
    assert 'name="_save"' not in page
    assert client.post(reverse("admin:assessments_accessevent_delete", args=[event.pk])).status_code == 403


def test_the_admin_front_page_counts_what_awaits_review(client, tess, uma, cara, make_response):
    make_response(cara)
    make_response(cara, {"low": "1", "calm": "3", "harm": "0"}, days_ago=1)
    client.force_login(tess)
    page = client.get(reverse("admin:index")).content.decode()
    assert re.search(r"Responses to review</a></th><td>2</td>", page)
    assert re.search(r"with a risk flag</a></th><td>1</td>", page)
    client.force_login(uma)
    assert re.search(r"Responses to review</a></th><td>0</td>", client.get(reverse("admin:index")).content.decode())
