"""``manage.py drf_create_token <username>``: issue an API token and print its key, once."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.tokens import api_token_issue, default_expiry


class Command(BaseCommand):
    help = "Issue a new API token for a user and print its key (it is stored only as a digest)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")
        parser.add_argument(
            "--expires-in-days",
            type=int,
            default=None,
            help="Days until it expires (default API_TOKEN_EXPIRY_DAYS; 0: never).",
        )
        parser.add_argument(
            "-r",
            "--reset",
            action="store_true",
            help="Revoke the user's other tokens first.",
        )

    def handle(self, *args, username: str, name: str, expires_in_days, reset: bool, **options):
        user = get_user_model()._default_manager.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user {username!r}.")
        if expires_in_days is None:
            expires_at = default_expiry()
        elif expires_in_days < 0:
            raise CommandError("--expires-in-days must be 0 (never) or more.")
        else:
            expires_at = (
                timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
            )
        if reset:
            user.api_tokens.all().delete()
        _token, key = api_token_issue(
            user=user, name=name or "drf_create_token", expires_at=expires_at
        )
        self.stdout.write(f"Generated token {key} for user {username}")
