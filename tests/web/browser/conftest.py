"""Real-browser fixtures: Debian's Chromium driven by Playwright against the live server."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from tests.conftest import require_service

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"


@pytest.fixture
def chromium(monkeypatch):
    """A browser for one test. Playwright's sync API runs an event loop in this thread while
    it is open; the test's own ORM calls are still plain synchronous calls, which Django would
    refuse inside a running loop, hence the variable — set for this test only, so no other
    test (nor a subprocess) inherits it, and the loop is closed before the database is reset."""
    require_service(Path(CHROMIUM).exists() or shutil.which("chromium") is not None, "Chromium")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # The test's ORM calls made while Playwright ran got connections of their own
        # (Django keeps them per context); close them here, in that same context.
        connections.close_all()


@pytest.fixture
def screenshots(request):
    """``shot(page, "name")`` saves a full-page screenshot under test-artifacts/browser/."""
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    taken = []

    def shot(page, name: str) -> Path:
        path = folder / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        return path

    shot.taken = taken
    return shot


def new_page(chromium, *, javascript: bool = True):
    """A page, and the list of errors its console reports (scripts that fail, anything the
    Content-Security-Policy refuses)."""
    context = chromium.new_context(
        viewport={"width": 1360, "height": 900}, java_script_enabled=javascript
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors
