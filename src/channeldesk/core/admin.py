"""Admin for the cross-cutting records, the sign-in models of allauth, and what the other apps'
admins share.

Every admin action declares the permission it needs (`@admin.action(permissions=[...])`), and
each such permission is a `has_<name>_permission` method that asks for the user's real Django
permission on the model (`permission_check`): the support desk (view permissions only) sees the
pages and never an action that changes something. See docs/security-admin.md.

An action (or a back-office view) runs each service call inside `action_refusals(request)`: a
business rule's refusal (`DomainError`) becomes an error message on the page, never a server
error, and the action goes on with the next item.

Records that only the services write are shown through `ReadOnlyAdmin` (and, on their parent's
page, `ReadOnlyInline`, or `EventHistoryInline` for a delivery's history); a stored PDF is
served from its own admin page by `StoredPdfAdmin`.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import allauth.account.admin
import allauth.mfa.admin
import allauth.socialaccount.admin
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialApp, SocialToken
from django.contrib import admin, messages
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import Model, QuerySet
from django.db.models.fields.files import FieldFile
from django.forms.widgets import MediaDefiningClass
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from channeldesk.core.errors import DomainError, domain_error_message
from channeldesk.core.models import ServiceToken, UserPreference


def permission_check(request: HttpRequest, model: type[Model], *actions: str) -> bool:
    """Whether the signed-in user holds every `<action>_<model>` permission of `model`.

    Superusers hold them all; a group's permissions (core/roles.py) decide for everyone else.
    """
    opts = model._meta
    return all(
        request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}") for action in actions
    )


@contextmanager
def action_refusals(request: HttpRequest) -> Iterator[None]:
    """Run one step of an admin action or a back-office view: a refusal by a business rule
    (`DomainError`) is shown as an error message and ends only this step; what ran before it
    stays done. Any other exception is a bug and goes on up (a 500 with its traceback)."""
    try:
        yield
    except DomainError as error:
        messages.error(request, domain_error_message(error))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only the services write: staff look at them and never add, change or
    delete one here (superusers included); the view permission decides who sees them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on their parent's page (a history, a statement's lines) that are never added
    or changed there, whatever the parent's own permissions."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventHistoryInline(ReadOnlyInline):
    """What happened to a delivery (an e-mail, a reminder), oldest first, with who acted."""

    ordering = ["at", "id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("actor")


class StoredPdf(Protocol):
    """What a stored PDF offers to be served: the documents archive's `Document`."""

    file: FieldFile
    kind: str
    reference: str


def stored_pdf_response(document: StoredPdf) -> FileResponse:
    """The document's PDF exactly as it was archived; a file missing from the archive is a 404."""
    try:
        stored = document.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The stored file of this document is missing.")) from None
    return FileResponse(
        stored,
        content_type="application/pdf",
        filename=f"{document.kind}-{document.reference}.pdf",
    )


class _AbstractAdminMeta(MediaDefiningClass, ABCMeta):
    """ModelAdmin's metaclass with abstract methods: a subclass that forgets a hook fails when
    it is registered, not when a page is opened."""


class StoredPdfAdmin(admin.ModelAdmin, metaclass=_AbstractAdminMeta):
    """An admin with a page (`pdf_route`, named `pdf_url_name`) that serves the stored PDF of
    one of its objects to everyone who may view the objects.

    A subclass says which document belongs to an object (`pdf_document`) and shows the link to
    the page with `pdf_link`.
    """

    pdf_route = "<int:pk>/document.pdf"
    pdf_url_name = ""

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.pdf_view)
        return [path(self.pdf_route, view, name=self.pdf_url_name), *super().get_urls()]

    def pdf_view(self, request: HttpRequest, pk: int) -> FileResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return stored_pdf_response(self.pdf_document(pk))

    @abstractmethod
    def pdf_document(self, pk: int) -> StoredPdf:
        """The document whose PDF the page of object `pk` serves (a 404 if there is none)."""

    def pdf_link(self, obj: Model, label: object) -> str:
        url = reverse(f"admin:{self.pdf_url_name}", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, label)


class LargeTablePaginator(Paginator):
    """Pages a changelist over a table of millions of rows without counting them.

    An exact `COUNT(*)` over the whole order line table takes seconds on PostgreSQL, and the
    admin runs it on every unfiltered changelist page. When nothing narrows the list, the
    planner's row estimate is good enough for a page count; a filtered list, a small table, an
    unanalysed table and SQLite still count exactly.
    """

    estimate_from_rows = 100_000

    @cached_property
    def count(self) -> int:
        estimate = self._estimated_count()
        return estimate if estimate is not None else super().count

    def _estimated_count(self) -> int | None:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or queryset.query.where:
            return None
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
        estimate = int(row[0]) if row else -1
        return estimate if estimate >= self.estimate_from_rows else None


@admin.register(UserPreference)
class UserPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "language"]
    list_filter = ["language"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


# The token's fields an admin page shows: never the digest. A personal token's owner is shown
# read-only like everything else.
SERVICE_TOKEN_FIELDS = (
    "name",
    "scope",
    "user",
    "key_id",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_used_at",
)


@admin.register(ServiceToken)
class ServiceTokenAdmin(ReadOnlyAdmin):
    """Tokens are made with `channeldesk tokens create` (the secret is shown once); here staff
    see them, and those who may change tokens revoke them. Nothing else about a token is edited
    here: a revoked token stays revoked. Nor is one deleted: the row says which system had a
    login until when."""

    list_display = SERVICE_TOKEN_FIELDS[:-1]
    list_filter = ["scope"]
    list_select_related = ["user"]
    search_fields = ["name", "=key_id", "user__username"]
    fields = readonly_fields = SERVICE_TOKEN_FIELDS
    actions = ["revoke"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return permission_check(request, ServiceToken, "change")

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ServiceToken]) -> None:
        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


# --- allauth's sign-in models ------------------------------------------------------------------
# allauth's own admins are imported above so that they are registered before they are replaced
# here (Django imports each app's admin in INSTALLED_APPS order, and allauth comes after us).

# Single sign-on is configured from the environment (docs/sso.md) and stores no provider tokens,
# so allauth's admins of provider apps and tokens would only offer a second, unused place.
admin.site.unregister(SocialApp)
admin.site.unregister(SocialToken)
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """People's second factors, without their secrets: who has which kind since when.

    The `data` column holds the TOTP secret, the recovery codes' seed and the passkeys' keys;
    no page shows it. Only a superuser sees these rows and may remove one (a partner who lost
    the phone); each removal is recorded in the admin's log with who removed whose
    authenticator, and removing the last real factor also removes the then useless recovery
    codes, as allauth does.
    """

    fields = readonly_fields = list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ["type"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        return authenticator_removal_log(actor=request.user, authenticators=list(queryset))

    def delete_model(self, request: HttpRequest, obj: Authenticator) -> None:
        self.delete_queryset(request, Authenticator.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Authenticator]) -> None:
        with transaction.atomic():
            owners = set(queryset.values_list("user_id", flat=True))
            queryset.delete()
            dangling = list(
                Authenticator.objects.filter(
                    user_id__in=owners, type=Authenticator.Type.RECOVERY_CODES
                ).exclude(
                    user_id__in=Authenticator.objects.exclude(
                        type=Authenticator.Type.RECOVERY_CODES
                    ).values("user_id")
                )
            )
            authenticator_removal_log(actor=request.user, authenticators=dangling)
            Authenticator.objects.filter(pk__in=[item.pk for item in dangling]).delete()


def authenticator_removal_log(*, actor: Any, authenticators: list[Authenticator]) -> list[Any]:
    """One admin log entry per removed authenticator: who removed whose, and which kind."""
    if not authenticators:
        return []
    content_type = ContentType.objects.get_for_model(Authenticator)
    entries = [
        LogEntry(
            user_id=actor.pk,
            content_type=content_type,
            object_id=str(authenticator.pk),
            object_repr=_("%(kind)s of %(user)s")
            % {"kind": authenticator.get_type_display(), "user": authenticator.user},
            action_flag=DELETION,
            change_message=_("Removed the %(kind)s of %(user)s (user id %(id)s).")
            % {
                "kind": authenticator.get_type_display(),
                "user": authenticator.user,
                "id": authenticator.user_id,
            },
        )
        for authenticator in authenticators
    ]
    return LogEntry.objects.bulk_create(entries)


admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class EmailAddressAdmin(allauth.account.admin.EmailAddressAdmin):
    """allauth's e-mail addresses, with its "mark verified" action behind the change
    permission (only superusers hold permissions on allauth's models)."""

    def has_make_verified_permission(self, request: HttpRequest) -> bool:
        return permission_check(request, EmailAddress, "change")

    @admin.action(
        description=_("Mark selected email addresses as verified"),
        permissions=["make_verified"],
    )
    def make_verified(self, request: HttpRequest, queryset: QuerySet[EmailAddress]) -> None:
        super().make_verified(request, queryset)
