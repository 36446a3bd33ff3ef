"""API permission by role (filled in with the API)."""

from rest_framework.permissions import IsAuthenticated


class RolePermission(IsAuthenticated):
    """Placeholder until the API's role matrix lands."""
