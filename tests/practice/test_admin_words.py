"""The admin speaks as a practice does: questionnaires, sent emails, people by name."""

from __future__ import annotations

import re

from django.urls import reverse


def sidebar_models(html: str) -> dict[str, str]:
    """The models the admin's app lists name, by model: {"instrument": "Questionnaires", …}."""
    rows = re.findall(r'<tr class="model-(\w+)[^"]*">\s*<th scope="row"[^>]*>\s*<a [^>]*>(.*?)</a>', html)
    return {model: name.strip() for model, name in rows}


def test_the_index_lists_questionnaires_not_instruments(client, tess):
    client.force_login(tess)
    html = client.get(reverse("admin:index")).content.decode()
    models = sidebar_models(html)
    assert models["instrument"] == "Questionnaires" and models["instrumentversion"] == "Questionnaire versions"
    assert not [name for name in models.values() if "nstrument" in name], models


def test_the_outbox_is_called_sent_emails_under_email(client, tess):
    client.force_login(tess)
    html = client.get(reverse("admin:app_list", args=["mail"])).content.decode()
    assert sidebar_models(html)["outboundemail"] == "Sent emails"
    assert 'title="Models in the Email application">Email</a>' in html
    assert "Outbox" not in html
    listing = client.get(reverse("admin:mail_outboundemail_changelist")).content.decode()
    assert "<h1>Sent emails</h1>" in listing and "0 sent emails" in listing
    assert "outbox" not in listing.lower().replace("outboundemail", "")


def cell(html: str, field: str) -> str:
    """The text of the first read-only cell or row of ``field`` on a change page (inline or not)."""
    found = re.search(rf'class="[^"]*field-{field}[^"]*">(.*?)</(?:td|div)>', html, re.S)
    assert found, f"no {field} on the page"
    return re.sub(r"<[^>]+>", " ", found.group(1))


def test_the_therapist_dropdown_names_people_not_usernames(client, tess, uma):
    client.force_login(tess)
    html = client.get(reverse("admin:clients_client_add")).content.decode()
    dropdown = html[html.index('name="therapist"') : html.index("</select>", html.index('name="therapist"'))]
    options = re.findall(r"<option value=\"(\d+)\"[^>]*>(.*?)</option>", dropdown)
    assert sorted(options) == sorted([(str(tess.pk), "Tess Harper"), (str(uma.pk), "Uma Okafor")])


def test_the_consent_history_says_who_recorded_it_by_name(client, tess, cara):
    from clients.models import Channel
    from clients.services import consent_set

    consent_set(client=cara, channel=Channel.QUESTIONNAIRES, given=True, source="on the phone", recorded_by=tess)
    client.force_login(tess)
    page = client.get(reverse("admin:clients_client_change", args=[cara.pk])).content.decode()
    assert "Tess Harper" in cell(page, "recorded_by_name")
    listing = client.get(reverse("admin:clients_consentrecord_changelist")).content.decode()
    assert "Tess Harper" in cell(listing, "recorded_by_name")


def test_an_assignment_says_who_assigned_it_by_name(client, tess, uma, fiona, make_version):
    from assessments import assignments

    assignment = assignments.assignment_create(version=make_version(), respondent=fiona, assigned_by=uma)
    client.force_login(uma)
    page = client.get(reverse("admin:assessments_assignment_change", args=[assignment.pk])).content.decode()
    assert "Uma Okafor" in cell(page, "assigned_by_name")


def test_assignments_name_the_client_not_the_respondent(client, uma, fiona, make_version):
    from assessments import assignments

    assignment = assignments.assignment_create(version=make_version(), respondent=fiona, assigned_by=uma)
    client.force_login(uma)
    listing = client.get(reverse("admin:assessments_assignment_changelist")).content.decode()
    assert ">Client</" in listing and "Respondent" not in listing
    page = client.get(reverse("admin:assessments_assignment_change", args=[assignment.pk])).content.decode()
    assert "Respondent" not in page and str(fiona) in cell(page, "respondent_name")


def test_questionnaires_are_imported_as_questionnaires(client, tess):
    client.force_login(tess)
    listing = client.get(reverse("admin:assessments_instrument_changelist")).content.decode()
    assert "Import a questionnaire" in listing and "instrument" not in re.sub(r"<[^>]+>", "", listing).lower()


def test_a_clients_questionnaires_count_reminders_due_not_slots(client, uma, fiona, make_version):
    from assessments import assignments

    assignments.assignment_create(version=make_version(), respondent=fiona, assigned_by=uma)
    client.force_login(uma)
    page = client.get(reverse("admin:clients_client_change", args=[fiona.pk])).content.decode()
    assert "Reminders due so far" in page and "slots" not in page


def test_named_columns_leave_nothing_editable_on_read_only_pages(client, tess, uma, fiona, cara, make_version):
    """Showing "assigned by" and the client by name must not turn the fields they replace into form fields."""
    from assessments import assignments
    from assessments.models import AssignmentSchedule

    version = make_version()
    schedule = assignments.schedule_create(
        instrument=version.instrument, respondent=fiona, every_weeks=2, max_occurrences=3, assigned_by=uma
    )
    url = reverse("admin:assessments_assignmentschedule_change", args=[schedule.pk])
    client.force_login(tess)
    page = client.get(url).content.decode()
    assert 'name="respondent"' not in page and 'name="assigned_by"' not in page
    assert "Uma Okafor" in cell(page, "assigned_by_name") and str(fiona) in cell(page, "respondent_name")
    client.post(url, {"respondent": cara.pk, "assigned_by": tess.pk})
    schedule = AssignmentSchedule.objects.get(pk=schedule.pk)
    assert (schedule.respondent_id, schedule.assigned_by_id) == (fiona.pk, uma.pk)


def test_the_consent_and_access_logs_name_people_on_their_own_pages(client, tess, uma, fiona):
    from assessments.models import AccessEvent
    from assessments.results import record_access
    from clients.models import Channel
    from clients.services import consent_set

    consent_set(client=fiona, channel=Channel.NEWSLETTER, given=True, source="on the phone", recorded_by=uma)
    record_access(user=uma, action="viewed", respondent_ids=[fiona.pk], note="history")
    client.force_login(tess)
    pages = (
        ("admin:clients_consentrecord_change", fiona.consent_records.get().pk, "recorded_by_name"),
        ("admin:assessments_accessevent_change", AccessEvent.objects.get(note="history").pk, "who"),
    )
    for name, pk, field in pages:
        html = client.get(reverse(name, args=[pk])).content.decode()
        assert "Uma Okafor" in cell(html, field), name
        assert "Username" not in html and not re.search(r">\s*uma\s*<", html), name
