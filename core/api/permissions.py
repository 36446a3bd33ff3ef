"""API permission by role: the Django model permissions the role groups hold (registry/roles.py).

Reading needs ``view_<model>``, creating ``add_<model>``, changing ``change_<model>``, deleting
``delete_<model>``; an extra action names its own permissions in the view's
``action_permissions``. Anonymous requests are refused (401, since token authentication comes
first); an authenticated user without the permission gets 403.
"""

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission

if TYPE_CHECKING:  # rest_framework.views imports this module through the settings
    from rest_framework.request import Request
    from rest_framework.views import APIView

#: The model permission each standard viewset action needs.
ACTION_CODENAMES = {
    "list": "view",
    "retrieve": "view",
    "history": "view",
    "metadata": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


def required_permissions(view: "APIView") -> tuple[str, ...] | None:
    """The permissions the view's current action needs, or ``None`` if it names none."""
    action = getattr(view, "action", None)
    declared = getattr(view, "action_permissions", {})
    if action in declared:
        return tuple(declared[action])
    codename = ACTION_CODENAMES.get(action)
    queryset = getattr(view, "queryset", None)
    if codename is None or queryset is None:
        return None
    opts = queryset.model._meta
    return (f"{opts.app_label}.{codename}_{opts.model_name}",)


class RolePermission(BasePermission):
    """Grant an action when the signed-in user holds every model permission it needs."""

    def has_permission(self, request: "Request", view: "APIView") -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not hasattr(view, request.method.lower()):
            # Let the view answer 405 for a method the resource does not offer.
            return True
        if user.is_superuser:
            return True
        needed = required_permissions(view)
        if needed is None:
            return False
        return user.has_perms(needed)
