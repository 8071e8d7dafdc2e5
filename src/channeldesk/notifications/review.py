"""Staff review of the delivery engine's rows, written once for every kind and every face.

A row whose outcome is unknown (its worker died while sending) or that failed waits for staff:
*release* sends it again, *dismiss* closes it without sending, with a reason. Each kind (outbox
messages, reminders, tier notices) describes itself once as a `Reviewable`; the admin actions
(`review_admin_actions`), the back-office views (`backoffice.views.operations.review_action`)
and the CLI subcommands (`commands.delivery`) take it and need nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from channeldesk.audit.services import audit_record
from channeldesk.core.errors import DomainError

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise  # django-stubs: what gettext_lazy returns

type Actor = AbstractBaseUser | AnonymousUser | None


@dataclass(frozen=True)
class Reviewable[T: Model]:
    """How staff review one kind of row.

    - `release(item, actor, note)` / `dismiss(item, actor, reason)`: the kind's services;
    - `get(reference)`: the row by the reference staff type on the command line (a key, an id);
    - `reference(item)`: that reference as a JSON field (`{"key": …}` or `{"id": …}`);
    - `name(item)`: how the row is named in messages (its key);
    - `refusals`: the errors by which `get` and the services refuse (reported, not raised).
    """

    release: Callable[..., T]
    dismiss: Callable[..., T]
    get: Callable[[Any], T]
    reference: Callable[[T], dict[str, Any]]
    name: Callable[[T], str]
    refusals: tuple[type[DomainError], ...]

    def decide(self, item: T, *, action: str, actor: Actor, text: str) -> T:
        """Release (`text` is the note) or dismiss (`text` is the reason) one row."""
        if action == "release":
            return self.release(item, actor=actor, note=text)
        if action == "dismiss":
            return self.dismiss(item, actor=actor, reason=text)
        raise LookupError(f"Unknown review action '{action}'.")


@dataclass(frozen=True)
class ReviewLock[T: Model]:
    """How staff decisions on one kind lock a row, refuse a row in the wrong status, and are
    recorded in the audit trail.

    Called with the row, the statuses the action allows and the action's name, it returns the
    row locked against dispatchers, or raises `refusal`: "<name> is failed; only planned,
    review <noun> can be dismissed." `partner(item)` is the partner its audit entries are filed
    under (none by default).
    """

    noun: str
    name: Callable[[T], str]
    refusal: type[DomainError]
    partner: Callable[[T], int | None] = lambda item: None

    def __call__(self, item: T, *, allowed: Collection[str], action: str) -> T:
        locked = type(item)._default_manager.select_for_update().get(pk=item.pk)
        status = locked.serializable_value("status")
        if status not in allowed:
            names = ", ".join(str(allowed_status) for allowed_status in allowed)
            raise self.refusal(
                f"{self.name(locked)} is {status}; only {names} {self.noun} can be {action}."
            )
        return locked

    def audit(self, action: str, item: T, *, before: str, actor: Actor, note: str) -> None:
        """`review_audit` of a decision on a row of this kind, filed under its partner."""
        review_audit(
            action,
            item,
            before=before,
            actor=actor,
            details={"note": note} if note else None,
            partner=self.partner(item),
        )


def review_audit(
    action: str,
    item: Model,
    *,
    before: str,
    actor: Actor,
    details: dict[str, str] | None = None,
    partner: int | None = None,
) -> None:
    """Record a staff decision on a row: its status before and after, and why (`details`,
    e.g. `{"note": …}` or `{"reason": …}`)."""
    audit_record(
        action=action,
        target=item,
        actor=actor,
        partner=partner,
        changes={"status": (before, item.serializable_value("status"))},
        details=details,
    )


class ReviewActionForm(ActionForm):
    """The admin's action bar with the reason field that dismissing needs."""

    reason = forms.CharField(label=_("reason"), required=False)


DISMISS_TEXT = _("Dismiss (do not send) with the reason given")


@dataclass(frozen=True, kw_only=True)
class AdminTexts:
    """The admin's texts for one kind (plural nouns differ, and so do their translations)."""

    release: _StrPromise
    dismiss: _StrPromise = DISMISS_TEXT
    reason_help: _StrPromise
    reason_missing: _StrPromise
    updated: _StrPromise


def review_action_form(texts: AdminTexts) -> type[ActionForm]:
    """The action form whose reason field explains what it is needed for."""

    class KindActionForm(ReviewActionForm):
        reason = forms.CharField(label=_("reason"), required=False, help_text=texts.reason_help)

    return KindActionForm


def review_admin_actions(reviewable: str, texts: AdminTexts) -> list[Callable[..., None]]:
    """The admin actions "send again" and "dismiss" for a kind, to put in `ModelAdmin.actions`.

    `reviewable` is the dotted path of the kind's `Reviewable`, imported when an action runs, so
    that admin modules, loaded at every start, do not import the services. Each row goes
    through the service; refusals are reported as warnings, the other rows are still done.
    """

    def each(
        modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, **how: Any
    ) -> None:
        kind: Reviewable[Any] = import_string(reviewable)
        done = 0
        for item in queryset:
            try:
                kind.decide(item, actor=request.user, **how)
            except kind.refusals as error:
                modeladmin.message_user(request, str(error), messages.WARNING)
            else:
                done += 1
        if done:
            modeladmin.message_user(request, texts.updated % {"count": done})

    @admin.action(description=texts.release, permissions=["change"])
    def release(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        each(modeladmin, request, queryset, action="release", text="Released in the admin.")

    @admin.action(description=texts.dismiss, permissions=["change"])
    def dismiss(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        reason = request.POST.get("reason", "").strip()
        if not reason:
            modeladmin.message_user(request, texts.reason_missing, messages.ERROR)
            return
        each(modeladmin, request, queryset, action="dismiss", text=reason)

    return [release, dismiss]
