"""Start the test provider as a server of its own on a free loopback port, and stop it."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

CLIENT_ID = "vendor-registry"
CLIENT_SECRET = "vendor-registry-secret-for-tests-only"
USERS = [
    {
        "username": "pat",
        "password": "pat-at-the-provider",
        "email": "pat@example.com",
        "first_name": "Pat",
        "last_name": "Okafor",
        "groups": ["everyone", "vr-buyers"],
    },
    {
        "username": "robin",
        "password": "robin-at-the-provider",
        "email": "robin@example.com",
        "first_name": "Robin",
        "last_name": "Lee",
        "groups": ["everyone"],
    },
]
PROJECT = Path(__file__).resolve().parent.parent.parent


@dataclass
class RunningProvider:
    url: str
    #: The provider's discovery document (/.well-known/openid-configuration).
    configuration: dict
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _manage(environment: dict, *arguments: str, log: Path) -> None:
    with log.open("a") as output:
        finished = subprocess.run(
            [sys.executable, "-m", "django", *arguments],
            cwd=PROJECT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=120,
        )
    if finished.returncode:
        raise RuntimeError(f"the test provider's {arguments[0]} failed:\n{log.read_text()}")


@contextmanager
def start_provider(*, redirect_uri: str) -> Iterator[RunningProvider]:
    """A provider whose client (``CLIENT_ID``) may send users back to ``redirect_uri``, with
    ``USERS`` able to sign in; its database is a scratch SQLite file, gone afterwards."""
    with tempfile.TemporaryDirectory(prefix="oidc-provider-") as scratch:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
            "PROVIDER_DATABASE": str(Path(scratch) / "provider.sqlite3"),
            "PROVIDER_URL": url,
            "PYTHONPATH": str(PROJECT),
        }
        log_path = Path(scratch) / "provider.log"
        _manage(environment, "migrate", "--noinput", log=log_path)
        _manage(environment, "provider_setup", f"--redirect-uri={redirect_uri}", log=log_path)
        with log_path.open("a") as log:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "django",
                    "runserver",
                    f"127.0.0.1:{port}",
                    "--noreload",
                    "--skip-checks",
                ],
                cwd=PROJECT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            configuration = _wait_for(f"{url}/.well-known/openid-configuration", server, log_path)
            yield RunningProvider(url=url, configuration=configuration, log=log_path)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_for(url: str, server: subprocess.Popen, log: Path, seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the test provider stopped:\n{log.read_text()}")
        try:
            response = requests.get(url, timeout=2)
            if response.status_code == 200:
                return response.json()
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the test provider did not answer within {seconds} s:\n{log.read_text()}")
