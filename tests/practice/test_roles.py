"""Staff roles: groups from migrations, kept in step with memberships."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from practice.models import ROLE_GROUPS, Membership, Practice, Role


@pytest.mark.django_db
def test_migrations_create_both_role_groups_with_their_permissions():
    owners = set(Group.objects.get(name=ROLE_GROUPS[Role.OWNER]).permissions.values_list("codename", flat=True))
    therapists = set(Group.objects.get(name=ROLE_GROUPS[Role.THERAPIST]).permissions.values_list("codename", flat=True))
    assert {"view_client", "add_client", "change_client", "delete_client", "change_practice"} <= owners
    assert {"view_client", "add_client", "change_client", "view_practice"} <= therapists
    assert not {"delete_client", "change_practice", "change_membership"} & therapists


def test_a_membership_makes_a_user_staff_in_the_role_group(uma):
    assert uma.is_staff
    assert list(uma.groups.values_list("name", flat=True)) == [ROLE_GROUPS[Role.THERAPIST]]


def test_changing_the_role_swaps_the_group(uma):
    membership = Membership.objects.get(user=uma)
    membership.role = Role.OWNER
    membership.save()
    assert list(uma.groups.values_list("name", flat=True)) == [ROLE_GROUPS[Role.OWNER]]


def test_removing_the_last_membership_removes_the_role_group(uma):
    Membership.objects.filter(user=uma).delete()
    assert not uma.groups.exists()


def test_one_user_cannot_join_a_practice_twice(uma, harbour):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Membership.objects.create(user=uma, practice=harbour, role=Role.OWNER)


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [("tess", {"Harbour Light"}), ("uma", {"Harbour Light"}), ("otto", {"Elsewhere Wellbeing"})],
)
def test_staff_see_only_their_own_practice(db, client, request, viewer, sees):
    client.force_login(request.getfixturevalue(viewer))
    body = client.get(reverse("admin:practice_practice_changelist")).content.decode()
    for name in ("Harbour Light", "Elsewhere Wellbeing"):
        assert (name in body) == (name in sees)


def test_only_an_owner_may_edit_the_practice(client, tess, uma, harbour):
    url = reverse("admin:practice_practice_change", args=[harbour.pk])
    data = {
        "name": "Harbour Light Renamed",
        "time_zone": "Europe/London",
        "contact_email": harbour.contact_email,
        "sender_name": harbour.sender_name,
        "sender_email": harbour.sender_email,
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    client.force_login(uma)
    client.post(url, data)
    assert Practice.objects.get(pk=harbour.pk).name == "Harbour Light"
    client.force_login(tess)
    response = client.post(url, data)
    assert response.status_code == 302
    assert Practice.objects.get(pk=harbour.pk).name == "Harbour Light Renamed"


def test_another_practice_is_a_404(client, otto, harbour):
    client.force_login(otto)
    response = client.get(reverse("admin:practice_practice_change", args=[harbour.pk]))
    assert response.status_code == 404
    assert "Harbour Light" not in response.content.decode()


def test_an_unknown_time_zone_is_refused_with_a_clear_message(client, tess, harbour):
    client.force_login(tess)
    response = client.post(
        reverse("admin:practice_practice_change", args=[harbour.pk]),
        {
            "name": harbour.name,
            "time_zone": "Mars/Olympus_Mons",
            "contact_email": harbour.contact_email,
            "sender_name": harbour.sender_name,
            "sender_email": harbour.sender_email,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "is not a known time zone" in response.content.decode()
    assert Practice.objects.get(pk=harbour.pk).time_zone == "Europe/London"


def test_owners_see_their_own_staff_and_therapists_see_no_staff_list(client, tess, uma, otto, elsewhere, make_staff):
    oscar = make_staff("oscar", elsewhere, Role.OWNER)
    url = reverse("admin:practice_membership_changelist")
    client.force_login(uma)
    assert client.get(url).status_code == 403
    for owner, colleagues in ((tess, {tess, uma}), (oscar, {oscar, otto})):
        client.force_login(owner)
        body = client.get(url).content.decode()
        for person in (tess, uma, otto, oscar):
            assert (f">{person.get_full_name()}<" in body) == (person in colleagues), (owner, person)
            assert f">{person.get_username()}<" not in body, "staff are listed by name"


@pytest.mark.django_db
def test_every_role_permission_names_a_real_permission():
    from django.contrib.auth.models import Permission

    from practice.roles import ROLE_PERMISSIONS

    for names in ROLE_PERMISSIONS.values():
        for name in names:
            app_label, codename = name.split(".")
            assert Permission.objects.filter(content_type__app_label=app_label, codename=codename).exists(), name


@pytest.mark.django_db
def test_a_lost_role_group_is_restored_with_its_permissions_and_customisations_are_kept():
    from django.contrib.auth.models import Permission

    from practice.roles import ROLE_PERMISSIONS, role_groups_ensure

    Group.objects.filter(name=ROLE_GROUPS[Role.THERAPIST]).delete()
    owners = Group.objects.get(name=ROLE_GROUPS[Role.OWNER])
    extra = Permission.objects.get(codename="view_group")
    owners.permissions.add(extra)
    role_groups_ensure()
    therapists = Group.objects.get(name=ROLE_GROUPS[Role.THERAPIST])
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in therapists.permissions.all()}
    assert granted == set(ROLE_PERMISSIONS[Role.THERAPIST])
    assert owners.permissions.filter(pk=extra.pk).exists()
