"""The alert inbox: open alerts most urgent first, filters, and the actions each role may take."""

import datetime
import re

import pytest
from django.utils import timezone

from alerts.models import Alert
from tests.factories import EntityFactory, VendorFactory
from tests.web.helpers import alerts_for

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return re.findall(r'<a href="/alerts/\d+/">([^<]+)</a><br>', response.content.decode())


def alert(title: str, *, severity="high", status="open", due=None, assignee=None) -> Alert:
    return Alert.objects.create(
        kind="change_of_control" if due else "risk_increased",
        severity=severity,
        title=title,
        status=status,
        due_date=due,
        assignee=assignee,
        vendor=VendorFactory(entity=EntityFactory(name=f"Vendor of {title}")),
        dedup_key=f"test:{title}",
    )


def test_inbox_shows_open_alerts_most_urgent_first(viewer_client):
    today = timezone.localdate()
    alert("medium one", severity="medium")
    alert("high later", due=today + datetime.timedelta(days=20))
    alert("high overdue", due=today - datetime.timedelta(days=2))
    alert("high no date")
    alert("critical", severity="critical", status="acknowledged")
    alert("resolved critical", severity="critical", status="resolved")
    response = viewer_client.get("/alerts/")
    assert titles(response) == [
        "critical",
        "high overdue",
        "high later",
        "high no date",
        "medium one",
    ]
    html = response.content.decode()
    assert html.count('<span class="badge overdue">Overdue</span>') == 1


def test_mine_shows_only_alerts_assigned_to_me(buyer, buyer_client, analyst):
    alert("for buyer", assignee=buyer)
    alert("for analyst", assignee=analyst)
    assert titles(buyer_client.get("/alerts/?mine=1")) == ["for buyer"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=resolved", ["done"]),
        ("status=", ["critical", "done", "low one"]),
        ("severity=low", ["low one"]),
        ("kind=change_of_control", ["low one"]),
    ],
)
def test_filters(viewer_client, query, expected):
    alert("critical", severity="critical")
    alert("done", status="resolved")
    alert("low one", severity="low", due=timezone.localdate())
    assert titles(viewer_client.get(f"/alerts/?{query}")) == expected


def test_filter_by_vendor_and_assignee(viewer_client, analyst):
    first = alert("first", assignee=analyst)
    alert("second")
    response = viewer_client.get(f"/alerts/?vendor={first.vendor_id}")
    assert titles(response) == ["first"]
    vendor_filter = re.search(r'<select id="id_vendor".*?</select>', response.content.decode())
    assert re.findall(r">Vendor of (\w+)<", vendor_filter.group(0)) == ["first", "second"]
    assert f'<option value="{first.vendor_id}" selected>' in vendor_filter.group(0)
    assert titles(viewer_client.get(f"/alerts/?assignee={analyst.pk}")) == ["first"]


def test_bad_filter_value_is_reported(viewer_client):
    alert("one")
    response = viewer_client.get("/alerts/?severity=apocalyptic")
    assert response.status_code == 200
    assert titles(response) == []
    assert 'class="form-errors"' in response.content.decode()


def test_buyer_acknowledges_an_alert_and_returns_to_the_inbox(buyer, buyer_client):
    item = alert("to acknowledge")
    response = buyer_client.post(
        f"/alerts/{item.pk}/acknowledge/", {"next": "/alerts/?severity=high"}
    )
    assert response["Location"] == "/alerts/?severity=high"
    item.refresh_from_db()
    assert (item.status, item.handled_by) == ("acknowledged", buyer)


def test_acknowledge_with_htmx_answers_the_updated_row(buyer_client):
    item = alert("row")
    response = buyer_client.post(f"/alerts/{item.pk}/acknowledge/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.startswith(f'<tr id="alert-{item.pk}"')
    assert "Acknowledged: row" in html
    assert "status-acknowledged" in html
    # Acknowledged is still to be resolved: the badge keeps counting it.
    assert re.search(r'<span id="nav-alert-count" hx-swap-oob="true"><span[^>]*>1</span>', html)


def test_acknowledging_twice_says_why_and_changes_nothing(buyer_client):
    item = alert("twice", status="acknowledged")
    response = buyer_client.post(f"/alerts/{item.pk}/acknowledge/", follow=True)
    assert "An alert that is acknowledged cannot be acknowledged." in response.content.decode()
    response = buyer_client.post(f"/alerts/{item.pk}/acknowledge/", headers={"HX-Request": "true"})
    assert response.status_code == 409


def test_resolve_records_the_note(buyer_client):
    item = alert("to resolve")
    buyer_client.post(f"/alerts/{item.pk}/resolve/", {"note": "Terminated under the clause."})
    item.refresh_from_db()
    assert (item.status, item.resolution_note) == ("resolved", "Terminated under the clause.")


def test_buyer_may_not_dismiss_or_assign_but_an_analyst_may(buyer_client, analyst_client, buyer):
    item = alert("contested")
    assert buyer_client.post(f"/alerts/{item.pk}/dismiss/", {"note": "x"}).status_code == 403
    assert (
        buyer_client.post(f"/alerts/{item.pk}/assign/", {"assignee": buyer.pk}).status_code == 403
    )
    analyst_client.post(f"/alerts/{item.pk}/assign/", {"assignee": buyer.pk})
    item.refresh_from_db()
    assert item.assignee == buyer
    analyst_client.post(f"/alerts/{item.pk}/dismiss/", {"note": "Not a concern."})
    item.refresh_from_db()
    assert (item.status, item.resolution_note) == ("dismissed", "Not a concern.")


def test_assigning_a_user_that_does_not_exist_is_refused(analyst_client):
    item = alert("assign me")
    response = analyst_client.post(
        f"/alerts/{item.pk}/assign/", {"assignee": "987654"}, follow=True
    )
    assert "Select a valid choice" in response.content.decode()
    item.refresh_from_db()
    assert item.assignee is None


def test_actions_need_a_post(buyer_client):
    item = alert("get")
    assert buyer_client.get(f"/alerts/{item.pk}/acknowledge/").status_code == 405


def test_next_outside_the_site_is_ignored(buyer_client):
    item = alert("next")
    response = buyer_client.post(
        f"/alerts/{item.pk}/acknowledge/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == f"/alerts/{item.pk}/"


def test_alert_page_offers_the_actions_of_the_role(buyer_client, analyst_client):
    item = alert("page")
    buyer_html = buyer_client.get(f"/alerts/{item.pk}/").content.decode()
    analyst_html = analyst_client.get(f"/alerts/{item.pk}/").content.decode()
    assert "Acknowledge" in buyer_html and ">Resolve<" in buyer_html
    assert ">Dismiss<" not in buyer_html and ">Assign<" not in buyer_html
    assert ">Dismiss<" in analyst_html and ">Assign<" in analyst_html


@pytest.mark.parametrize("count", [5, 40])
def test_inbox_query_count_is_constant(viewer_client, django_assert_num_queries, count):
    alerts_for(VendorFactory.create_batch(count))
    # A Viewer may not act on alerts, so the navigation badge counts nothing for them.
    with django_assert_num_queries(8):
        response = viewer_client.get("/alerts/")
    assert len(titles(response)) == count


@pytest.mark.parametrize("note", ["", "   "])
def test_resolving_or_dismissing_without_a_note_is_refused_and_says_so(
    buyer_client, analyst_client, note
):
    item = alert("needs a note")

    resolved = buyer_client.post(f"/alerts/{item.pk}/resolve/", {"note": note}, follow=True)
    dismissed = analyst_client.post(
        f"/alerts/{item.pk}/dismiss/", {"note": note}, headers={"HX-Request": "true"}
    )

    assert "A note is required: say what was done to resolve the alert." in (
        resolved.content.decode()
    )
    assert dismissed.status_code == 409
    assert "A note is required: say why the alert is not a concern." in dismissed.content.decode()
    item.refresh_from_db()
    assert (item.status, item.handled_by) == ("open", None)


def test_the_note_fields_are_marked_required(analyst_client):
    item = alert("marked")
    html = analyst_client.get(f"/alerts/{item.pk}/").content.decode()
    assert 'name="note" rows="2" maxlength="2000" required' in html
    assert html.count(" required") >= 2


def test_assign_to_offers_only_people_who_may_act_named_in_full(
    analyst_client, viewer, buyer, analyst, nobody
):
    buyer.first_name, buyer.last_name = "Bea", "Buyer"
    buyer.save()
    item = alert("pick someone", assignee=buyer)

    html = analyst_client.get(f"/alerts/{item.pk}/").content.decode()
    select = html[
        html.index('name="assignee"') : html.index("</select>", html.index('name="assignee"'))
    ]

    options = re.findall(r"<option[^>]*>([^<]+)</option>", select)
    assert options == ["Nobody", "analyst", "Bea Buyer (buyer)"]
    assert "<dt>Assignee</dt><dd>Bea Buyer (buyer)</dd>" in html
    inbox = analyst_client.get("/alerts/").content.decode()
    assert '<td data-label="Assignee">Bea Buyer (buyer)</td>' in inbox


def test_assigning_a_viewer_is_refused(analyst_client, viewer):
    item = alert("not a viewer")
    response = analyst_client.post(
        f"/alerts/{item.pk}/assign/", {"assignee": viewer.pk}, follow=True
    )
    assert "Select a valid choice" in response.content.decode()
    item.refresh_from_db()
    assert item.assignee is None


def nav_count(response) -> str:
    """The number in the navigation badge ('' when no badge is shown)."""
    badge = re.search(r'<span id="nav-alert-count">(.*?)</span>', response.content.decode())
    return re.sub(r"<[^>]+>", "", badge.group(1))


def inbox_rows(response) -> int:
    return len(re.findall(r'<tr id="alert-\d+"', response.content.decode()))


def test_badge_counts_what_the_inbox_lists_by_default(buyer_client, analyst_client):
    for n in range(2):
        alert(f"open {n}")
    for n in range(3):
        alert(f"acknowledged {n}", status="acknowledged")
    alert("resolved", status="resolved")
    alert("dismissed", status="dismissed")

    for client in (buyer_client, analyst_client):
        inbox = client.get("/alerts/")
        assert (nav_count(inbox), inbox_rows(inbox)) == ("5", 5)
        assert nav_count(client.get("/vendors/")) == "5"
    assert 'aria-label="5 to handle (open or acknowledged)"' in inbox.content.decode()


def test_badge_drops_when_an_alert_is_resolved_or_dismissed_not_when_acknowledged(
    buyer_client, analyst_client
):
    first, second, third = alert("a"), alert("b"), alert("c")

    buyer_client.post(f"/alerts/{first.pk}/acknowledge/")
    assert nav_count(buyer_client.get("/alerts/")) == "3"
    buyer_client.post(f"/alerts/{first.pk}/resolve/", {"note": "Renegotiated."})
    assert nav_count(buyer_client.get("/alerts/")) == "2"
    analyst_client.post(f"/alerts/{second.pk}/dismiss/", {"note": "Not a concern."})
    after = buyer_client.get("/alerts/")
    assert (nav_count(after), inbox_rows(after)) == ("1", 1)
    third.status = "resolved"
    third.save()
    assert nav_count(buyer_client.get("/alerts/")) == ""


def test_a_viewer_who_cannot_act_gets_no_badge_but_still_reads_the_inbox(viewer_client):
    alert("open one")
    alert("acknowledged one", status="acknowledged")

    inbox = viewer_client.get("/alerts/")

    assert (nav_count(inbox), inbox_rows(inbox)) == ("", 2)
