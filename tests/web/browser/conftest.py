"""Real-browser fixtures: Debian's Chromium driven by Playwright against the live server."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import require_service

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
# plain synchronous calls, which Django would otherwise refuse inside a running loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

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


@pytest.fixture(scope="session")
def chromium():
    require_service(Path(CHROMIUM).exists() or shutil.which("chromium") is not None, "Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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
    context = chromium.new_context(
        viewport={"width": 1360, "height": 900}, java_script_enabled=javascript
    )
    context.set_default_timeout(15_000)
    return context.new_page()
