"""Give the test provider its signing key, the registry as a client, and its users."""

from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import BaseCommand
from oidc_provider.models import Client, ResponseType

from tests.oidc_provider.provider import CLIENT_ID, CLIENT_SECRET, USERS


class Command(BaseCommand):
    help = "Set up the test provider: an RSA key, the registry's client and the test users."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--redirect-uri", required=True)

    def handle(self, *args, redirect_uri: str, **options) -> None:
        call_command("creatersakey", stdout=self.stdout)
        client = Client.objects.create(
            name="Vendor Registry",
            client_type="confidential",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            jwt_alg="RS256",
            _redirect_uris=redirect_uri,
            require_consent=True,
            reuse_consent=False,
        )
        client.response_types.add(ResponseType.objects.get(value="code"))
        for person in USERS:
            user = User.objects.create_user(
                username=person["username"],
                password=person["password"],
                email=person["email"],
                first_name=person["first_name"],
                last_name=person["last_name"],
            )
            for name in person["groups"]:
                user.groups.add(Group.objects.get_or_create(name=name)[0])
