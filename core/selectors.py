"""Reads that pages of every app share."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet


def active_users() -> QuerySet[AbstractBaseUser]:
    """Users who can be picked (an alert's assignee, a vendor's business owner), by username."""
    return get_user_model().objects.filter(is_active=True).order_by("username")
