"""Pages are headed as a practice speaks: a list by what it lists, a record by its name, each once."""

from __future__ import annotations

from django.urls import reverse


def test_a_list_is_headed_by_what_it_lists(client, tess, cara):
    client.force_login(tess)
    html = client.get(reverse("admin:clients_client_changelist")).content.decode()
    assert "<h1>Clients</h1>" in html and "Select client to change" not in html
    assert "<title>Clients |" in html


def test_a_record_is_headed_by_its_name_once(client, tess, cara):
    client.force_login(tess)
    html = client.get(reverse("admin:clients_client_change", args=[cara.pk])).content.decode()
    assert f"<h1>{cara}</h1>" in html and "Change client" not in html
    assert f"<title>{cara} |" in html
    assert html.count(f"<h2>{cara}</h2>") == 0, "the name is not repeated as a subtitle"
    assert "<h1>Add client</h1>" in client.get(reverse("admin:clients_client_add")).content.decode()


def test_the_client_list_filters_therapists_by_name(client, tess, uma, cara, fiona):
    client.force_login(tess)
    html = client.get(reverse("admin:clients_client_changelist")).content.decode()
    filters = html[html.index('id="changelist-filter"') :]
    assert tess.get_full_name() in filters and uma.get_full_name() in filters
    assert f">{uma.get_username()}</a>" not in filters
