"""Who may call which API endpoint. Row-level scoping is not done here but in the selectors.

The roles come from `channeldesk.partners.selectors`, so the API, the portal and the back office
agree on them:

- vendor staff: `is_staff` logins (channel managers and the support desk),
- channel manager: a superuser or a member of the group "channel manager" (everything),
- support desk: a member of the group "support desk" (reads only),
- partner user: a login with a partner membership (its own partner's data only).

`IsVendorStaffWriter` is the one rule for the endpoints that write the register (contracts,
keycodes, imports): vendor staff except the support desk; an endpoint's subclass only says in
its `message` what is refused.

Combine them with DRF's operators, e.g. `permission_classes = [IsChannelManager |
IsSupportDeskReadOnly]` for an endpoint that managers change and the phone desk reads.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from channeldesk.partners.selectors import (
    membership_for_user,
    user_is_channel_manager,
    user_is_support_desk,
    user_is_vendor_staff,
)


class IsVendorStaff(BasePermission):
    """Vendor staff only; partner users are refused."""

    message = _("This is for vendor staff only.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_is_vendor_staff(user=request.user)


class IsChannelManager(BasePermission):
    """Channel managers (and superusers): they steer the partner programme."""

    message = _("This is for channel managers only.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_is_channel_manager(user=request.user)


class IsVendorStaffWriter(BasePermission):
    """Vendor staff except the support desk, which only reads; partner users never write."""

    message = _("This is for vendor staff; the support desk may only read.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return user_is_vendor_staff(user=user) and not user_is_support_desk(user=user)


class IsSupportDeskReadOnly(BasePermission):
    """The support desk may read (GET, HEAD, OPTIONS) and nothing else."""

    message = _("The support desk may only read.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS and user_is_support_desk(user=request.user)


class IsPartnerUserOrVendorStaff(BasePermission):
    """Partner users and vendor staff; any other login is refused rather than shown nothing.

    A login that is neither is a configuration mistake (a user created without a membership),
    and an explicit 403 says so where an empty list would hide it. Which rows the permitted
    users see is decided by the selectors, not here.
    """

    message = _("This login belongs to no partner.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return user_is_vendor_staff(user=user) or membership_for_user(user=user) is not None
