"""Create (or reset) the demo superuser and print its login at the address the server uses."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "admin"
PASSWORD = "admin"


class Command(BaseCommand):
    help = (
        "Create the demo superuser (admin / admin) if missing and print the login with the "
        "address the server listens on (--host, --port, as given to runserver)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="The server's host.")
        parser.add_argument("--port", default="8000", help="The server's port.")

    def handle(self, *args, host: str, port: str, **options) -> None:
        if not str(port).isdigit() or not 0 < int(port) < 65536:
            raise CommandError(f"--port: “{port}” is not a port number (1–65535).")
        user, created = get_user_model().objects.get_or_create(
            username=USERNAME, defaults={"email": "admin@example.com"}
        )
        if created or not user.is_superuser:
            user.is_staff = user.is_superuser = True
            user.set_password(PASSWORD)
            user.save()
        # An IPv6 address is written in brackets in a URL.
        shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
        address = f"http://{shown}:{int(port)}/"
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login: {USERNAME} / {PASSWORD} — {address} (admin at {address}admin/)"
            )
        )
