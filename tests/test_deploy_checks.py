"""Hardening: the deploy checks pass with production settings, secrets come only from the
environment, and every response carries the security headers, CSP included, under which the
API docs still work."""

import os
import secrets
import subprocess
import sys

from django.conf import settings

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"}
    }
    return subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
        env=environment | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def parse_csp(header: str) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in directives}


def test_deploy_check_passes_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        "--settings=config.settings.production",
        env={"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ALLOWED_HOSTS": "example.com"},
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = run_manage(
        "check", "--settings=config.settings.production", env={"DJANGO_ALLOWED_HOSTS": "x.com"}
    )

    assert result.returncode == 1
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def test_production_settings_refuse_to_start_without_allowed_hosts():
    result = run_manage(
        "check",
        "--settings=config.settings.production",
        env={"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)},
    )

    assert result.returncode == 1
    assert "Set the DJANGO_ALLOWED_HOSTS environment variable" in result.stderr


def test_every_response_carries_the_security_headers(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert parse_csp(response["Content-Security-Policy"]) == EXPECTED_CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_anonymous_api_error_also_carries_the_policy(client):
    response = client.get("/api/v1/vendors/")

    assert response.status_code == 401
    assert parse_csp(response["Content-Security-Policy"]) == EXPECTED_CSP
