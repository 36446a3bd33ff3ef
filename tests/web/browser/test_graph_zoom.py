"""The vendor page's ownership graph in a real browser (Debian's Chromium): at 1366×900 the
drawing zooms and pans with its buttons, the wheel, a drag and the keyboard, under the
Content-Security-Policy (no console error); its text is at least 11 px and its labels never
overlap; the as-of control redraws it for a date; at 390×844 the chains are listed instead,
in readable text."""

import re

import pytest
from django.contrib.auth.models import Group

from registry.roles import RISK_ANALYST
from tests.factories import cross_held_group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-password"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

#: Every drawn text's size on screen: its font size times the drawing's current scale.
TEXT_SIZES = """svg => Array.from(svg.querySelectorAll('text')).map(t => {
  const m = t.getScreenCTM();
  return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
})"""
#: The on-screen boxes of the edge labels.
LABEL_BOXES = """svg => Array.from(svg.querySelectorAll('.edge-label rect')).map(r => {
  const b = r.getBoundingClientRect();
  return [b.left, b.top, b.right, b.bottom];
})"""


@pytest.fixture
def analyst(role_groups, django_user_model):
    user = django_user_model.objects.create_user(username="ana", password=PASSWORD)
    user.groups.add(Group.objects.get(name=RISK_ANALYST))
    return user


def signed_in_page(chromium, live_server, path, viewport, **options):
    context = chromium.new_context(viewport=viewport, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}{path}")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(path.split("?")[0])))
    return page, errors


def view_box(page) -> list[float]:
    return [float(n) for n in page.locator("svg.ownership-graph").get_attribute("viewBox").split()]


def scale(page) -> float:
    return float(page.locator("svg.ownership-graph").get_attribute("data-scale"))


def overlaps(a, b) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def test_the_graph_zooms_and_pans_with_buttons_wheel_drag_and_keys(
    chromium, live_server, analyst, screenshots
):
    from playwright.sync_api import expect

    group = cross_held_group()
    page, errors = signed_in_page(chromium, live_server, f"/vendors/{group['vendor'].pk}/", DESKTOP)
    svg = page.locator("svg.ownership-graph")
    expect(svg).to_be_visible()
    tools = page.get_by_role("toolbar", name="Zoom the ownership graph")
    expect(tools).to_be_visible()
    svg.scroll_into_view_if_needed()
    screenshots(page, "graph-actual-size")

    # At actual size every text is at least 11 px on screen, and no two labels overlap.
    assert scale(page) == 1.0
    assert min(svg.evaluate(TEXT_SIZES)) >= 11
    labels = svg.evaluate(LABEL_BOXES)
    assert len(labels) == 16
    assert [(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :] if overlaps(a, b)] == []
    # Brightmoor's strongest chain is drawn thick, its label too.
    assert page.locator("path.edge-strong").count() == 3
    chains = page.locator("#graph-strongest li")
    expect(chains).to_have_text(
        [
            "Halden State Fund state-owned · 20.00% along this chain: Halden State Fund → "
            "Ledgerline Payroll",
            "Brightmoor competitor · 15.00% along this chain: Brightmoor → Ashcombe Topco → "
            "Ledgerline Payroll",
        ]
    )

    # Buttons.
    width = view_box(page)[2]
    tools.get_by_role("button", name="Zoom in").click()
    assert scale(page) == 1.25
    assert view_box(page)[2] == pytest.approx(width / 1.25, abs=0.2)
    expect(tools.locator("[data-zoom-level]")).to_have_text("125%")
    tools.get_by_role("button", name="Zoom out").click()
    tools.get_by_role("button", name="Zoom out").click()
    assert scale(page) < 1.0
    tools.get_by_role("button", name="Actual size").click()
    assert scale(page) == 1.0

    # The wheel zooms about the pointer.
    box = page.locator("#graph-viewport").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -200)
    expect(svg).to_have_attribute("data-scale", "1.250")

    # A drag pans: the view moves against the pointer.
    before = view_box(page)
    x, y = box["x"] + 40, box["y"] + 40
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 100, y + 60, steps=5)
    page.mouse.up()
    after = view_box(page)
    assert after[0] == pytest.approx(before[0] - 100 / 1.25, abs=1)
    assert after[1] == pytest.approx(before[1] - 60 / 1.25, abs=1)
    assert page.url.endswith(f"/vendors/{group['vendor'].pk}/")  # the drag followed no link

    # The keyboard: the drawing takes focus, + and − zoom, the arrows pan, 0 resets.
    page.locator("#graph-viewport").focus()
    page.keyboard.press("0")
    assert scale(page) == 1.0
    page.keyboard.press("+")
    assert scale(page) == 1.25
    start = view_box(page)
    page.keyboard.press("ArrowRight")
    assert view_box(page)[0] == pytest.approx(start[0] + 60 / 1.25, abs=0.2)
    page.keyboard.press("-")
    assert scale(page) == 1.0
    screenshots(page, "graph-after-zoom-and-pan")

    # An entity reached from the keyboard is brought into view, however far it is zoomed.
    for _ in range(8):
        page.keyboard.press("+")
    assert scale(page) == 4.0
    node = svg.locator(f'a.node[data-entity="{group["brightmoor"].pk}"]')
    node.focus()
    x, y, w, h = view_box(page)
    drawn = node.evaluate("a => { const b = a.getBBox(); return [b.x, b.y, b.width, b.height]; }")
    assert x <= drawn[0] + drawn[2] / 2 <= x + w and y <= drawn[1] + drawn[3] / 2 <= y + h

    tools.get_by_role("button", name="Fit").click()
    assert scale(page) <= 1.0
    screenshots(page, "graph-fit")
    assert errors == []


def test_without_javascript_the_drawing_scrolls_at_its_own_size_and_as_of_still_works(
    chromium, live_server, analyst, screenshots
):
    from playwright.sync_api import expect

    group = cross_held_group()
    page, errors = signed_in_page(
        chromium,
        live_server,
        f"/vendors/{group['vendor'].pk}/",
        DESKTOP,
        java_script_enabled=False,
    )
    svg = page.locator("svg.ownership-graph")
    expect(svg).to_be_visible()
    expect(page.get_by_role("toolbar", name="Zoom the ownership graph")).to_be_hidden()
    assert svg.get_attribute("width") == svg.get_attribute("data-width")
    assert min(svg.evaluate(TEXT_SIZES)) >= 11
    page.get_by_label("Draw the graph as of").fill("2025-06-12")
    page.get_by_role("button", name="Redraw").click()
    expect(page.locator("#graph-heading + .muted")).to_contain_text("as of 2025-06-12")
    screenshots(page, "graph-without-javascript")
    assert errors == []


def test_the_as_of_control_redraws_the_graph_for_its_date(
    chromium, live_server, analyst, screenshots
):
    from playwright.sync_api import expect

    group = cross_held_group()
    page, errors = signed_in_page(chromium, live_server, f"/vendors/{group['vendor'].pk}/", DESKTOP)
    strongest = page.locator("#graph-strongest li", has_text="Brightmoor")
    expect(strongest).to_contain_text("Brightmoor → Ashcombe Topco → Ledgerline Payroll")
    page.get_by_label("Draw the graph as of").fill("2025-06-12")
    page.get_by_role("button", name="Redraw").click()
    page.wait_for_url(re.compile(r"\?as_of=2025-06-12"))
    expect(page.locator("#graph-heading + .muted")).to_contain_text("as of 2025-06-12")
    # The day before the deal Brightmoor only holds 10% of Harwick.
    expect(strongest).to_contain_text("3.00% along this chain: Brightmoor → Harwick Group")
    expect(page.get_by_role("link", name="Today")).to_be_visible()
    page.locator("#ownership-graph").scroll_into_view_if_needed()
    screenshots(page, "graph-as-of-the-day-before")

    page.get_by_label("Draw the graph as of").fill("1850-01-01")
    page.get_by_role("button", name="Redraw").click()
    expect(page.get_by_role("alert")).to_have_text(
        "As of: Dates before 1900 are not accepted. The graph is drawn as of today."
    )
    screenshots(page, "graph-as-of-refused")
    assert errors == []


def test_on_a_phone_the_chains_are_listed_in_readable_text(
    chromium, live_server, analyst, screenshots
):
    from playwright.sync_api import expect

    group = cross_held_group()
    page, errors = signed_in_page(
        chromium,
        live_server,
        f"/vendors/{group['vendor'].pk}/",
        PHONE,
        is_mobile=True,
        has_touch=True,
    )
    expect(page.locator("svg.ownership-graph")).to_be_hidden()
    expect(page.get_by_role("toolbar", name="Zoom the ownership graph")).to_be_hidden()
    chains = page.locator("#graph-chains")
    expect(chains).to_be_visible()
    strongest = page.locator("#graph-strongest")
    expect(strongest).to_be_visible()
    for locator in (chains.locator("li").first, strongest.locator("li").first):
        size = locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 11, size
        box = locator.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    form = page.locator("#graph-as-of").bounding_box()
    assert form["x"] + form["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#ownership-graph").scroll_into_view_if_needed()
    screenshots(page, "graph-on-a-phone")
    assert errors == []
