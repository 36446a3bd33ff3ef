"""The drawn graph's names: wrapped between words, never cut inside one, the full name in the
node's tooltip; and the chains listed for screens too narrow for the drawing."""

import re

import pytest

from registry.web.graph import NAME_WIDTH, text_width, wrap_name
from tests.factories import (
    EntityFactory,
    OwnershipFactory,
    PersonFactory,
    VendorFactory,
    WatchlistEntryFactory,
)
from tests.web.test_vendor_page import nodes, svg_of


def test_sablewood_wraps_after_a_whole_word():
    assert wrap_name("Sablewood Data Services Inc.") == ["Sablewood Data", "Services Inc."]


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("Scale AI", ["Scale AI"]),
        ("Meta Platforms", ["Meta Platforms"]),
        ("Ledgerline Payroll Ltd AB", ["Ledgerline Payroll Ltd", "AB"]),
        (
            "Northern Lighthouse Holdings Group International Plc",
            ["Northern Lighthouse", "Holdings Group…"],
        ),
        # Wide capitals take more room than the same number of small letters.
        ("WWWWWWWW MMMMMMMM HOLDINGS GROUP", ["WWWWWWWW", "MMMMMMMM…"]),
        # Only a word wider than a whole line is broken, with a hyphen.
        (
            "Aktiengesellschaftsverwaltungsbank Zürich",
            ["Aktiengesellschaftsver-", "waltungsbank Zürich"],
        ),
    ],
)
def test_names_break_between_words_on_at_most_two_lines(name, lines):
    assert wrap_name(name) == lines
    assert all(text_width(line) <= NAME_WIDTH for line in lines)


def test_widths_are_measured_per_character():
    # "Scale AI" at 12.5 px: S 0.86, c 0.64, a 0.7, l 0.5, e 0.7, space 0.35, A 0.86, I 0.5 em.
    assert text_width("Scale AI") == pytest.approx(12.5 * 5.11)
    assert text_width("WWW") > 2 * text_width("iii")


def test_no_word_of_a_wrapped_name_is_cut():
    name = "Sablewood Data Services Inc. of the Western Territories"
    lines = wrap_name(name)
    assert len(lines) == 2 and lines[-1].endswith("…")
    words = set(name.split())
    for line in lines:
        assert all(word in words for word in line.rstrip("…").split())


@pytest.mark.django_db
def test_svg_draws_the_name_on_two_lines_and_keeps_it_whole_in_the_title(viewer_client):
    vendor = VendorFactory(entity=EntityFactory(name="Ledgerline Payroll"))
    owner = EntityFactory(name="Sablewood Data Services Inc.")
    OwnershipFactory(owner=owner, owned=vendor.entity, share=60)
    svg = svg_of(viewer_client.get(f"/vendors/{vendor.pk}/").content.decode())
    node = re.search(rf'data-entity="{owner.pk}">(.*?)</a>', svg).group(1)
    assert "<title>Sablewood Data Services Inc.</title>" in node
    assert re.findall(r"<tspan[^>]*>([^<]+)</tspan>", node) == ["Sablewood Data", "Services Inc."]
    assert "…" not in node
    assert nodes(svg)["Sablewood Data Services Inc."] == "Company"


@pytest.mark.django_db
def test_chains_are_listed_top_owner_first_with_the_seats_beside(viewer_client):
    vendor = VendorFactory(entity=EntityFactory(name="Ledgerline Payroll"))
    holding = EntityFactory(name="Ashcombe Topco")
    rival = EntityFactory(name="Brightmoor")
    fund = EntityFactory(name="Sablewood Data Services Inc.")
    ceo = PersonFactory(name="Dana Reyes")
    WatchlistEntryFactory(entity=rival)
    OwnershipFactory(owner=holding, owned=vendor.entity, share=80)
    OwnershipFactory(owner=rival, owned=holding, share=30)
    OwnershipFactory(owner=fund, owned=holding, share=70)
    OwnershipFactory(owner=ceo, owned=vendor.entity, interest="board_member", share=None)
    OwnershipFactory(owner=ceo, owned=rival, interest="senior_managing_official", share=None)
    html = viewer_client.get(f"/vendors/{vendor.pk}/").content.decode()
    listing = html.split('id="graph-chains"')[1].split("</div>")[0]
    chains = [
        " ".join(re.sub(r"<[^>]+>", " ", li).split())
        for li in re.findall(r"<li>(.*?)</li>", listing.split("<ol>")[1].split("</ol>")[0], re.S)
    ]
    assert chains == [
        "Brightmoor competitor — 30% → Ashcombe Topco — 80% → Ledgerline Payroll (our vendor)",
        "Sablewood Data Services Inc. — 70% → Ashcombe Topco — 80% → "
        "Ledgerline Payroll (our vendor)",
        "Dana Reyes — board → Ledgerline Payroll (our vendor)",
    ]
    seats = " ".join(re.sub(r"<[^>]+>", " ", listing.split('class="chain-seats">')[1]).split())
    assert seats.startswith("Dana Reyes holds a seat (officer) in Brightmoor competitor")
