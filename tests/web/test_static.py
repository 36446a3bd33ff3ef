"""The pages work after ``collectstatic`` with the production storage (hashed names, served by
whitenoise), with every asset from the project's own static files."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
STATIC_TAG = re.compile(r"""{%\s*static\s+['"]([^'"]+)['"]\s*%}""")


def referenced_assets() -> set[str]:
    return {
        name
        for template in TEMPLATES.rglob("*.html")
        for name in STATIC_TAG.findall(template.read_text())
    }


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("static")
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield tmp_path


def test_every_asset_a_template_references_is_in_the_manifest(collected):
    assets = referenced_assets()
    assert {"vendor/htmx/htmx.min.js", "vendor/pico/pico.min.css", "css/app.css"} <= assets
    for name in assets:
        hashed = staticfiles_storage.stored_name(name)
        assert hashed != name
        assert (collected / hashed).is_file(), name


def test_pages_load_their_hashed_assets_through_whitenoise(collected, viewer, reference_after):
    client = Client()
    client.force_login(viewer)
    urls = ["/", "/vendors/", f"/vendors/{reference_after.remotasks_vendor.pk}/", "/alerts/"]
    served = set()
    for url in urls:
        html = client.get(url).content.decode()
        for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
            assert re.search(r"\.[0-9a-f]{12}\.(css|js|svg)$", asset), asset
            served.add(asset)
    assert len(served) == 6  # the vendor page adds the graph's zoom (js/graph-zoom.js)
    for asset in served:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(b"".join(response.streaming_content)) > 100


def test_no_page_loads_anything_from_another_host(viewer_client, reference_after):
    for url in ("/", "/vendors/", f"/vendors/{reference_after.scale_vendor.pk}/", "/events/new/"):
        html = viewer_client.get(url).content.decode()
        assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == [], url


def test_vendored_assets_keep_their_licences():
    vendor = Path(settings.BASE_DIR) / "static" / "vendor"
    assert (vendor / "htmx" / "LICENSE").is_file() and (vendor / "pico" / "LICENSE.md").is_file()
    assert "Licensed under MIT" in (vendor / "pico" / "pico.min.css").read_text()[:300]
    assert "Zero-Clause BSD" in (vendor / "htmx" / "htmx.min.js").read_text()[:200]


def test_static_files_stay_cacheable_for_a_signed_in_user(collected, viewer):
    client = Client()
    client.force_login(viewer)
    html = client.get("/vendors/").content.decode()
    asset = re.findall(r'href="(/static/[^"]+\.css)"', html)[0]
    response = client.get(asset)
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]
