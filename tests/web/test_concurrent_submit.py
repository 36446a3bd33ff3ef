"""Two submits of the same event confirmation arriving together still save one event: the
user's row is locked while the one-time token is checked and spent."""

import re
import threading

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from registry.models import OwnershipEvent
from registry.roles import PROCUREMENT
from tests.conftest import require_service
from tests.pipeline.scenario import DEAL_DATE, build_reference_registry

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_confirmations_save_one_event(role_groups, django_user_model):
    # SQLite has no row locks (it serialises whole transactions); the guarantee is
    # PostgreSQL's, where the project runs.
    require_service(
        settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql",
        "PostgreSQL (DATABASE_URL)",
    )
    user = django_user_model.objects.create_user(username="pat", password="pw")
    user.groups.add(Group.objects.get(name=PROCUREMENT))
    ref = build_reference_registry()
    first = Client()
    first.force_login(user)
    body = {
        "kind": "acquisition",
        "subject": ref.scale.pk,
        "counterparty": ref.meta.pk,
        "share": "49",
        "effective_date": DEAL_DATE.isoformat(),
    }
    preview = first.post("/events/new/", {**body, "action": "preview"}).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', preview).group(1)
    second = Client()
    second.cookies = first.cookies

    start = threading.Barrier(2)
    answers: list[str] = []

    def confirm(client: Client) -> None:
        try:
            start.wait()
            response = client.post("/events/new/", {**body, "action": "confirm", "token": token})
            answers.append(response.get("Location", str(response.status_code)))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    event = OwnershipEvent.objects.get()
    assert answers == [f"/events/{event.pk}/"] * 2
