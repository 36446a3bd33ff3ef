"""Every page is built to be used by keyboard and screen reader: landmarks, a skip link, a label
for every form control, and headings that say where one is."""

import re
from html.parser import HTMLParser

import pytest

from alerts.models import Alert
from imports.services import import_run_create

pytestmark = pytest.mark.django_db


class Controls(HTMLParser):
    """Form controls and the labels that name them."""

    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.open_labels = 0
        self.landmarks: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("main", "nav", "header", "footer"):
            self.landmarks.add(tag)
        if tag == "label":
            self.open_labels += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in (
            "hidden",
            "submit",
        ):
            self.controls.append({**attrs, "_wrapped": self.open_labels > 0, "_tag": tag})

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1


def unlabelled(html: str) -> list[str]:
    parser = Controls()
    parser.feed(html)
    return [
        control.get("name", control["_tag"])
        for control in parser.controls
        if not (
            control["_wrapped"]
            or control.get("aria-label")
            or control.get("id") in parser.label_for
        )
    ]


def pages(ref) -> list[str]:
    alert = Alert.objects.order_by("pk").first()
    edge = ref.remotasks.owners.get()
    run = import_run_create(source_name="Test register", enqueue=False)
    return [
        "/",
        "/vendors/",
        f"/vendors/{ref.scale_vendor.pk}/",
        f"/vendors/{ref.scale_vendor.pk}/edit/",
        "/vendors/new/",
        f"/vendors/{ref.scale_vendor.pk}/contracts/new/",
        f"/contracts/{ref.scale_contract.pk}/edit/",
        "/entities/",
        "/entities/new/",
        f"/entities/{ref.meta.pk}/",
        "/ownerships/new/",
        f"/ownerships/{edge.pk}/edit/",
        "/events/",
        "/events/new/",
        "/alerts/",
        f"/alerts/{alert.pk}/",
        "/imports/",
        f"/imports/{run.pk}/",
        "/accounts/password_change/",
        "/contracts/",
        "/ownerships/",
        f"/reports/exposure/{ref.meta.pk}/",
        f"/vendors/{ref.scale_vendor.pk}/report/",
    ]


def test_every_form_control_has_a_label(analyst_client, reference_after):
    for url in pages(reference_after):
        html = analyst_client.get(url).content.decode()
        assert unlabelled(html) == [], url


def test_every_page_has_landmarks_a_skip_link_and_one_main_heading(analyst_client, reference_after):
    for url in pages(reference_after):
        html = analyst_client.get(url).content.decode()
        parser = Controls()
        parser.feed(html)
        assert parser.landmarks == {"main", "nav", "header", "footer"}, url
        assert '<a class="skip-link" href="#main">Skip to content</a>' in html, url
        assert len(re.findall(r"<h1[ >]", html)) == 1, url


def test_sign_in_page_labels_its_fields(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert unlabelled(html) == []
    assert '<label for="id_username">' in html and '<label for="id_password">' in html


def test_level_badges_carry_the_level_as_text_not_only_colour(viewer_client, reference_after):
    html = viewer_client.get("/vendors/").content.decode()
    assert '<span class="badge level-critical">Critical</span>' in html
    assert '<span class="badge level-high">High</span>' in html
