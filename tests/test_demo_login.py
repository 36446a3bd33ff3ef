"""``make run`` prints the address the server really listens on, and the login last, after the
seed's output."""

import os
import re
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

MAKEFILE = Path(__file__).resolve().parent.parent / "Makefile"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("host", "port", "address"),
    [
        ("127.0.0.1", "8123", "http://127.0.0.1:8123/"),
        ("0.0.0.0", "9000", "http://0.0.0.0:9000/"),
        ("::1", "8000", "http://[::1]:8000/"),
    ],
)
def test_demo_login_prints_the_address_it_is_given(host, port, address):
    out = StringIO()

    call_command("demo_login", host=host, port=port, stdout=out)

    assert out.getvalue().strip() == (
        f"Demo login: admin / admin — {address} (admin at {address}admin/)"
    )
    assert authenticate(username="admin", password="admin").is_superuser


@pytest.mark.django_db
def test_demo_login_refuses_a_port_that_is_not_one():
    with pytest.raises(CommandError, match="--port: “80a” is not a port number"):
        call_command("demo_login", port="80a", stdout=StringIO())


def test_make_run_seeds_first_then_prints_the_login_with_its_port_then_serves():
    # A fresh machine has no Redis: the in-process server is what ``make run`` starts.
    without_redis = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    dry = subprocess.run(
        ["make", "-n", "-f", str(MAKEFILE), "run", "PORT=8123", "HOST=127.0.0.1"],
        capture_output=True,
        text=True,
        check=True,
        cwd=MAKEFILE.parent,
        env=without_redis,
    ).stdout.splitlines()

    steps = [line for line in dry if "manage.py" in line]
    assert [re.search(r"manage\.py (\S+)", line).group(1) for line in steps[-3:]] == [
        "seed_demo",
        "demo_login",
        "runserver",
    ]
    assert steps[-2].endswith("demo_login --host 127.0.0.1 --port 8123")
    assert steps[-1].endswith("runserver 127.0.0.1:8123")
