"""Admin for the practice, and the scoping every practice-owned admin page uses."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured, ValidationError
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from practice.managers import is_owner, staff_for_user
from practice.models import Membership, Practice
from practice.people import PersonChoiceField, person_name


def staff_choices(user) -> models.QuerySet:
    """The staff ``user`` may pick (see ``staff_for_user``), in the order of their names."""
    return staff_for_user(user).order_by("first_name", "last_name", "username")


def person_column(field: str, description: str) -> Callable[[admin.ModelAdmin, models.Model], str]:
    """A list column or read-only field naming the member of staff in ``field`` ("Uma Okafor"), not their username.

    Assign it in the admin class (``recorded_by_name = person_column("recorded_by", _("recorded by"))``) and list
    that name instead of the field's.
    """

    @admin.display(description=description, ordering=f"{field}__last_name")
    def column(model_admin: admin.ModelAdmin, obj: models.Model) -> str:
        return person_name(getattr(obj, field)) or "—"

    return column


def _without(fields, names: set[str]) -> list:
    """A fieldset's fields without ``names``, rows of several fields kept together."""
    kept = []
    for field in fields:
        if isinstance(field, (list, tuple)):
            row = [name for name in field if name not in names]
            if row:
                kept.append(tuple(row) if len(row) > 1 else row[0])
        elif field not in names:
            kept.append(field)
    return kept


class ScopedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose every queryset goes through the model's ``for_user``.

    Fails closed: a model without ``for_user`` or a foreign key to a model without it
    is a configuration error, not an unscoped page. Objects out of scope are a 404.
    """

    # Web addresses typed without a scheme are https (Django 6's default; 5.2 still assumes http and warns).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    #: Foreign keys whose choices are not practice data (e.g. a content type).
    unscoped_foreign_keys: tuple[str, ...] = ()

    #: Read-only fields only an owner needs (keys, Message-IDs, leases): on a row's page, owners of its practice
    #: and superusers find them in a collapsed "Technical details" section at the end; therapists never see them.
    technical_fields: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        queryset = super().get_queryset(request)
        if not hasattr(queryset, "for_user"):
            raise ImproperlyConfigured(f"{self.model.__name__}'s queryset has no for_user(); it cannot be scoped.")
        return queryset.for_user(request.user)

    def only_practice(self, request: HttpRequest) -> Practice | None:
        """The one practice the user works in, which every row they add belongs to; None if they choose.

        Superusers and people in several practices choose (among those ``for_user`` gives them); someone
        in none gets the field too, with nothing to choose, so the form refuses to save.
        """
        if request.user.is_superuser:
            return None
        if "_only_practice" not in request.__dict__:
            practices = list(Practice.objects.for_user(request.user)[:2])
            request.__dict__["_only_practice"] = practices[0] if len(practices) == 1 else None
        return request.__dict__["_only_practice"]

    def _practice_is_set(self, request: HttpRequest) -> bool:
        """Whether the practice field is left off this user's forms and lists, and set for them."""
        has_field = any(field.name == "practice" for field in self.model._meta.concrete_fields)
        return has_field and self.only_practice(request) is not None

    def shows_technical_details(self, request: HttpRequest, obj: models.Model | None) -> bool:
        """Whether the user owns the practice this row belongs to (or is a superuser)."""
        if obj is None or obj.pk is None or not self.technical_fields:
            return False
        if request.user.is_superuser:
            return True
        cache = request.__dict__.setdefault("_technical_details", {})
        key = (self.model._meta.label, obj.pk)
        if key not in cache:
            path = getattr(self.model._default_manager.all(), "practice_path", "practice")
            practice_id = self.model._default_manager.filter(pk=obj.pk).values_list(path, flat=True).first()
            cache[key] = practice_id is not None and is_owner(request.user, practice_id=practice_id)
        return cache[key]

    def get_fieldsets(self, request: HttpRequest, obj: models.Model | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        left_off = set(self.technical_fields)
        if self._practice_is_set(request):
            left_off.add("practice")
        if left_off:
            fieldsets = [
                (name, {**options, "fields": _without(options["fields"], left_off)}) for name, options in fieldsets
            ]
            fieldsets = [(name, options) for name, options in fieldsets if options["fields"]]
        if self.shows_technical_details(request, obj):
            technical = {"fields": list(self.technical_fields), "classes": ["collapse"]}
            fieldsets = [*fieldsets, (_("Technical details"), technical)]
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, *(name for name in self.technical_fields if name not in readonly)]

    def get_form(self, request: HttpRequest, obj: models.Model | None = None, change: bool = False, **kwargs):
        """A new row gets the user's one practice before it is validated (a posted practice is not a field)."""
        form = super().get_form(request, obj, change=change, **kwargs)
        if not self._practice_is_set(request) or "practice" in form.base_fields:
            return form
        practice = self.only_practice(request)

        class InTheirPractice(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                if self.instance.practice_id is None:
                    self.instance.practice = practice

            def validate_unique(self) -> None:
                """Also the checks that involve the practice (one address per practice's list, one blog feed per
                practice), which a ModelForm skips for a field it does not show; they read as the form's own."""
                super().validate_unique()
                model_fields = self.instance._meta.fields
                exclude = {f.name for f in model_fields if f.name not in self.fields or f.name in self.errors}
                exclude.discard("practice")
                for check in (self.instance.validate_unique, self.instance.validate_constraints):
                    try:
                        check(exclude=exclude)
                    except ValidationError as exc:
                        for field, messages in exc.message_dict.items():
                            where = field if field in self.fields else None
                            shown = self.errors.get(where or NON_FIELD_ERRORS, [])
                            for message in messages:
                                if message not in shown:
                                    self.add_error(where, message)

        InTheirPractice.__name__ = form.__name__
        return InTheirPractice

    def get_list_display(self, request: HttpRequest):
        """No practice column for someone who works in one practice: it would say the same on every row."""
        columns = super().get_list_display(request)
        if self._practice_is_set(request):
            return [column for column in columns if column != "practice"]
        return columns

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, object]:
        """A new row belongs to the user's practice when they have exactly one."""
        initial = super().get_changeform_initial_data(request)
        if any(field.name == "practice" for field in self.model._meta.fields):
            practices = list(Practice.objects.for_user(request.user)[:2])
            if len(practices) == 1:
                initial.setdefault("practice", practices[0].pk)
        return initial

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("Not found."))
        return obj

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        """Staff are chosen by name: "Uma Okafor", not "uma@demo"."""
        if db_field.remote_field.model is get_user_model():
            kwargs.setdefault("form_class", PersonChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_field_queryset(self, db, db_field, request: HttpRequest):
        if db_field.name in self.unscoped_foreign_keys:
            return super().get_field_queryset(db, db_field, request)
        related = db_field.remote_field.model
        if related is get_user_model():
            return staff_choices(request.user)
        queryset = related._default_manager.using(db).all()
        if not hasattr(queryset, "for_user"):
            raise ImproperlyConfigured(
                f"{self.model.__name__}.{db_field.name} points at {related.__name__}, which cannot be "
                "scoped; add for_user() to its queryset or list the field in unscoped_foreign_keys."
            )
        return queryset.for_user(request.user)


class PersonFilter(admin.RelatedOnlyFieldListFilter):
    """Filter by a member of staff, named as people name them ("Uma Okafor"), not by username."""

    def field_choices(self, field, request: HttpRequest, model_admin):
        choices = super().field_choices(field, request, model_admin)
        people = get_user_model()._default_manager.filter(pk__in=[pk for pk, _label in choices])
        names = {person.pk: person_name(person) for person in people}
        return sorted(((pk, names.get(pk, label)) for pk, label in choices), key=lambda choice: choice[1])


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).for_user(request.user).select_related("user")

    def get_field_queryset(self, db, db_field, request: HttpRequest):
        if db_field.name == "user":
            return staff_choices(request.user)
        return super().get_field_queryset(db, db_field, request)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "user":
            kwargs.setdefault("form_class", PersonChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Practice)
class PracticeAdmin(ScopedModelAdmin):
    list_display = ["name", "contact_email", "phone", "time_zone"]
    search_fields = ["name"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "time_zone"]}),
        (_("Contact details"), {"fields": ["contact_email", "phone", "website", "postal_address"]}),
        (_("Sending email"), {"fields": ["sender_name", "sender_email"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Practice | None = None) -> bool:
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(ScopedModelAdmin):
    list_display = ["person", "practice", "role", "created_at"]
    list_filter = [("practice", admin.RelatedOnlyFieldListFilter), "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    list_select_related = ["user", "practice"]

    person = person_column("user", _("person"))
