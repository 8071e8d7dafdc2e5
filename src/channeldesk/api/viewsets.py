"""The shape the API's read view sets share: a list narrowed by checked filters, one page
answered, and its schema.

- `FilteredListViewSet`: the list checks its query with `filter_serializer_class` (a bad value
  answers 400 and runs no query), narrows the view set's rows with `filter_rows` and answers one
  page (`answer_page`, which a view set may extend, e.g. with data fetched for the page).
- `ScopedReadViewSet`: list and retrieve, for partner users and vendor staff; which rows each
  sees is decided by the selectors in `get_queryset`.
- `read_schema`: the documentation of such a list and retrieve, with the shared error answers.
- The filters' fields (`choice_filter`, `number_filter`, `search_filter`, `day_filter`) and
  `DayRangeFilters` for a range of days, so every list names and checks them alike.

This is its own module, not part of `pagination.py`: DRF imports that one while it builds its
generic views, so it may not import them back.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from channeldesk.api.errors import DETAIL_ERRORS, LIST_ERRORS, validated
from channeldesk.api.pagination import paginated
from channeldesk.api.permissions import IsPartnerUserOrVendorStaff

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


class FilteredListViewSet[M: Model](viewsets.GenericViewSet[M], metaclass=ABCMeta):
    """A view set whose list takes the filters of `filter_serializer_class`."""

    filter_serializer_class: type[serializers.Serializer[Any]]

    @abstractmethod
    def filter_rows(self, rows: QuerySet[M], **filters: Any) -> QuerySet[M]:
        """`rows` narrowed by the checked filters (a selector of the domain)."""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The filters narrow the list only: a detail URL answers the same whatever the query.
        filters = validated(self.filter_serializer_class, request.query_params)
        return self.answer_page(self.filter_rows(self.get_queryset(), **filters))

    def answer_page(self, rows: QuerySet[M]) -> Response:
        return paginated(view=self, rows=rows)


# List and retrieve for partner users and vendor staff; any other login gets 403. (A comment,
# not a docstring: drf-spectacular would show a docstring as the description of every retrieve.)
class ScopedReadViewSet[M: Model](mixins.RetrieveModelMixin, FilteredListViewSet[M]):
    permission_classes = [IsAuthenticated, IsPartnerUserOrVendorStaff]


def read_schema[V: type[viewsets.GenericViewSet[Any]]](
    *, list_summary: str, list_description: str, detail_summary: str, **more: Any
) -> Callable[[V], V]:
    """The schema of a filtered list and a retrieve, answering in the view set's serializer;
    `more` documents the view set's other actions (`create=extend_schema(...)`)."""

    def decorate(view_set: V) -> V:
        declared: Any = view_set  # its class attributes, which the stubs declare per instance
        answer = declared.serializer_class
        documented: V = extend_schema_view(
            list=extend_schema(
                summary=list_summary,
                description=list_description,
                parameters=[declared.filter_serializer_class],
                responses={200: answer, **LIST_ERRORS},
            ),
            retrieve=extend_schema(
                summary=detail_summary, responses={200: answer, **DETAIL_ERRORS}
            ),
            **more,
        )(view_set)
        return documented

    return decorate


# --- The filters --------------------------------------------------------------------------------


def choice_filter(choices: Any, *, help_text: str) -> serializers.ChoiceField:
    """One of `choices`, e.g. a status."""
    return serializers.ChoiceField(choices=choices, required=False, help_text=help_text)


def number_filter(*, help_text: str) -> serializers.CharField:
    """A business number (partner, customer), matched exactly."""
    return serializers.CharField(required=False, max_length=32, help_text=help_text)


def search_filter(*, fragment_of: str) -> serializers.CharField:
    """Free text, matched case-insensitively against a part of `fragment_of`."""
    return serializers.CharField(
        required=False,
        max_length=200,
        help_text=f"A fragment of {fragment_of} (case-insensitive).",
    )


def day_filter(*, help_text: str) -> serializers.DateField:
    return serializers.DateField(required=False, help_text=help_text)


class DayRangeFilters(serializers.Serializer[Any]):
    """Filters with a range of days, the fields named in `day_range` (first, last): a last day
    before the first answers 400 with `day_range_refusal` on the last."""

    day_range: ClassVar[tuple[str, str]]
    day_range_refusal: ClassVar[_StrPromise]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        first_name, last_name = self.day_range
        first, last = attrs.get(first_name), attrs.get(last_name)
        if first and last and first > last:
            raise serializers.ValidationError({last_name: self.day_range_refusal})
        return attrs
