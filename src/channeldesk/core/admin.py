"""Admin for the cross-cutting records, and what the other apps' admins share."""

from __future__ import annotations

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from channeldesk.core.models import ServiceToken, UserPreference


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


@admin.register(ServiceToken)
class ServiceTokenAdmin(admin.ModelAdmin):
    """Tokens are made with `channeldesk tokens create` (the secret is shown once); here staff
    see them and revoke them."""

    list_display = ["name", "scope", "key_id", "created_at", "expires_at", "revoked_at"]
    list_filter = ["scope"]
    readonly_fields = ["name", "scope", "key_id", "created_at", "last_used_at"]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
