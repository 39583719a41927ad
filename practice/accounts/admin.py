"""The owners' view of locked staff accounts, with the way to unlock them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from practice.accounts.enrolment import enrolment_link_issue
from practice.accounts.lockout import account_unlock
from practice.accounts.models import AccountLock, EnrolmentLink
from practice.admin import ScopedModelAdmin, person_column
from practice.models import Membership, Role
from practice.people import person_name


def _is_owner(user) -> bool:
    """Owners (of any practice) and superusers; the queryset then narrows to their own practices' staff."""
    if not (user.is_active and user.is_staff):
        return False
    return user.is_superuser or Membership.objects.filter(user=user, role=Role.OWNER).exists()


@admin.register(AccountLock)
class AccountLockAdmin(ScopedModelAdmin):
    list_display = ["username", "failures", "window_started_at", "locked_at"]
    fields = ["username", "failures", "window_started_at", "locked_at"]
    readonly_fields = fields
    actions = ["unlock"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).locked()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AccountLock | None = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: AccountLock | None = None) -> bool:
        return _is_owner(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: AccountLock | None = None) -> bool:
        return _is_owner(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_owner(request.user)

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Unlock the selected accounts"), permissions=["delete"])
    def unlock(self, request: HttpRequest, queryset) -> None:
        names = list(queryset.values_list("username", flat=True))
        for username in names:
            account_unlock(username=username)
        self.message_user(request, _("Unlocked: %(names)s.") % {"names": ", ".join(names)}, messages.SUCCESS)

    def delete_model(self, request: HttpRequest, obj: AccountLock) -> None:
        account_unlock(username=obj.username)


@admin.register(EnrolmentLink)
class EnrolmentLinkAdmin(ScopedModelAdmin):
    """Owners send a colleague a new two-factor enrolment link (a lost phone, an email that never came); it
    goes to the colleague's own address, never to the owner."""

    list_display = ["person", "created_at", "expires_at", "used_at", "issued_by_name"]
    fields = ["user"]
    list_select_related = ["user", "issued_by"]

    person = person_column("user", _("for"))
    issued_by_name = person_column("issued_by", _("sent by"))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_owner(request.user)

    def has_view_permission(self, request: HttpRequest, obj: EnrolmentLink | None = None) -> bool:
        return _is_owner(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_owner(request.user)

    def has_change_permission(self, request: HttpRequest, obj: EnrolmentLink | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: EnrolmentLink | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: EnrolmentLink, form, change: bool) -> None:
        link, printed = enrolment_link_issue(user=obj.user, issued_by=request.user)
        obj.pk, obj.created_at, obj.expires_at, obj.issued_by = link.pk, link.created_at, link.expires_at, request.user
        obj._state.adding = False
        if printed:
            self.message_user(
                request,
                _("%(person)s has no practice or email address to send it to: run enrolment_link on the server.")
                % {"person": person_name(obj.user)},
                messages.WARNING,
            )
        else:
            self.message_user(
                request, _("An enrolment link is on its way to %(person)s.") % {"person": person_name(obj.user)}
            )

    def log_addition(self, request, obj, message):
        return None  # the link is logged by its row; the admin's log would repeat it


# django-otp's device admin looks devices up with ``objects.get``: an unknown id on its ``config/`` and
# ``qrcode/`` pages was a 500. Registered again here so those pages answer 404 (imported first, so that
# its own registration has happened whatever the order of INSTALLED_APPS).
from django_otp.plugins.otp_totp import admin as totp_admin  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402


class TOTPDeviceAdmin(totp_admin.TOTPDeviceAdmin):
    def _known(self, request: HttpRequest, pk: int) -> None:
        if not self.get_queryset(request).filter(pk=pk).exists():
            raise Http404(_("Not found."))

    def config_view(self, request: HttpRequest, pk: int):
        self._known(request, pk)
        return super().config_view(request, pk)

    def qrcode_view(self, request: HttpRequest, pk: int):
        self._known(request, pk)
        return super().qrcode_view(request, pk)


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, TOTPDeviceAdmin)
