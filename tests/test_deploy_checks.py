"""Hardening: the deploy checks pass with production settings, secrets come only from the
environment, and every response carries the security headers, CSP included, under which the
API docs still work."""

import base64
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from tests.conftest import require_service

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


class _PageAssets(HTMLParser):
    """The scripts, stylesheets and inline blocks of a page."""

    def __init__(self):
        super().__init__()
        self.script_sources: list[str] = []
        self.stylesheets: list[str] = []
        self.inline: list[tuple[str, str]] = []
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.script_sources.append(attributes["src"])
        elif tag in {"script", "style"}:
            self._open = tag
            self.inline.append((tag, ""))
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"])

    def handle_data(self, data):
        if self._open:
            tag, text = self.inline[-1]
            self.inline[-1] = (tag, text + data)

    def handle_endtag(self, tag):
        if tag == self._open:
            self._open = None


def _hash_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_api_docs_need_nothing_the_policy_forbids(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = parse_csp(response["Content-Security-Policy"])
    page = _PageAssets()
    page.feed(response.content.decode())

    # Inline blocks run only when the policy lists their hash; Swagger UI's init script must be
    # a file (drf-spectacular's SpectacularSwaggerSplitView serves it from the same view).
    for tag, text in page.inline:
        allowed = policy["script-src" if tag == "script" else "style-src"].split()
        assert _hash_source(text) in allowed, (
            f"an inline <{tag}> on /api/docs/ is blocked by the CSP ({text.strip()[:60]!r}…); "
            "Swagger UI must be served by drf_spectacular's SpectacularSwaggerSplitView, "
            "whose init script is a file"
        )
    # Every asset is our own, served locally (no CDN), and exists.
    static_assets = [
        src for src in page.script_sources + page.stylesheets if src.startswith("/static/")
    ]
    assert len(static_assets) == 3
    for src in static_assets:
        assert finders.find(src.removeprefix("/static/")), src
    init_scripts = [src for src in page.script_sources if not src.startswith("/static/")]
    assert len(init_scripts) == 1
    assert init_scripts[0].startswith("/api/docs/?")
    script = client.get(init_scripts[0])
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


@pytest.mark.browser
def test_api_docs_render_every_operation_in_a_browser_under_the_policy(live_server, client):
    chromium = shutil.which("chromium")
    require_service(chromium is not None, "Chromium")
    from playwright.sync_api import sync_playwright

    schema = json.loads(client.get("/api/schema/?format=json").content)
    operations = sum(
        1
        for methods in schema["paths"].values()
        for method in methods
        if method in {"get", "post", "put", "patch", "delete"}
    )
    violations: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda message: (
                    violations.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            page.goto(f"{live_server.url}/api/docs/")
            page.wait_for_selector(".opblock", timeout=15_000)
            rendered = page.locator(".opblock").count()
        finally:
            browser.close()

    assert operations > 40
    assert rendered == operations
    assert violations == []
