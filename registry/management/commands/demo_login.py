"""Create (or reset) the demo superuser and print its login."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "admin"
PASSWORD = "admin"


class Command(BaseCommand):
    help = "Create the demo superuser (admin / admin) if missing and print the login."

    def handle(self, *args, **options) -> None:
        user, created = get_user_model().objects.get_or_create(
            username=USERNAME, defaults={"email": "admin@example.com"}
        )
        if created or not user.is_superuser:
            user.is_staff = user.is_superuser = True
            user.set_password(PASSWORD)
            user.save()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login: {USERNAME} / {PASSWORD} — http://127.0.0.1:8000/ "
                "(admin at http://127.0.0.1:8000/admin/)"
            )
        )
