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
