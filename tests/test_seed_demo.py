"""``manage.py seed_demo``: the reference scenario and ~50 more vendors, loaded once however often
it runs, with the pipeline's assessments and alerts.

Seeding takes seconds, so the class seeds once (``setUpTestData``) and each test reads that data
in its own savepoint.
"""

import datetime
from collections import Counter
from decimal import Decimal
from io import StringIO

from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import TestCase

from alerts.models import Alert
from registry.choices import EntityKind, Interest
from registry.demo import demo_plan
from registry.models import Contract, Entity, Ownership, OwnershipEvent, Vendor, WatchlistEntry
from registry.selectors import vendor_latest_assessment

DEAL_DATE = datetime.date(2025, 6, 13)


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def test_demo_plan_is_the_same_on_every_call():
    assert demo_plan() == demo_plan()


class TestSeedDemo(TestCase):
    @classmethod
    def _seed(cls) -> tuple[str, list]:
        """Run the command; the pipeline's in-process tasks run once the writes are done."""
        out = StringIO()
        with cls.captureOnCommitCallbacks(execute=True) as callbacks:
            call_command("seed_demo", verbosity=0, stdout=out)
        return out.getvalue(), callbacks

    @classmethod
    def setUpTestData(cls) -> None:
        cls.first_output, _ = cls._seed()

    def test_second_run_changes_no_table(self):
        size = demo_plan().size
        before = _row_counts()

        output, callbacks = self._seed()

        assert _row_counts() == before
        assert callbacks == []
        assert f"Demo data: {size} rows created" in self.first_output
        assert "Demo data: 0 rows created" in output
        assert f"{size} already present" in output
        assert {
            label: before[label]
            for label in (
                "registry.Entity",
                "registry.Ownership",
                "registry.Vendor",
                "registry.Contract",
                "registry.OwnershipEvent",
                "registry.WatchlistEntry",
            )
        } == {
            "registry.Entity": 88,
            "registry.Ownership": 66,
            "registry.Vendor": 56,
            "registry.Contract": 98,
            "registry.OwnershipEvent": 9,
            "registry.WatchlistEntry": 10,
        }
        assert before["alerts.Alert"] > 0
        assert before["registry.RiskAssessment"] >= 56

    def test_reference_scenario_is_loaded_and_ends_critical_and_high(self):
        meta = Entity.objects.get(name="Meta Platforms")
        scale = Entity.objects.get(name="Scale AI")
        remotasks = Entity.objects.get(name="Remotasks")
        ceo = Entity.objects.get(name="Scale AI CEO", kind=EntityKind.PERSON)
        assert WatchlistEntry.objects.filter(entity=meta, category="competitor").count() == 1

        subsidiary = Ownership.objects.get(owner=scale, owned=remotasks)
        assert (subsidiary.interest, subsidiary.share, subsidiary.end_date) == (
            Interest.SHAREHOLDING,
            Decimal("100"),
            None,
        )
        assert subsidiary.start_date < datetime.date(2025, 1, 1)

        stake = Ownership.objects.get(owner=meta, owned=scale)
        assert (stake.interest, stake.share, stake.start_date, stake.end_date) == (
            Interest.SHAREHOLDING,
            Decimal("49"),
            DEAL_DATE,
            None,
        )
        assert stake.source_event.kind == "acquisition"
        seats = Ownership.objects.filter(owner=ceo).order_by("start_date")
        assert [(seat.owned.name, seat.interest, seat.end_date) for seat in seats] == [
            ("Scale AI", Interest.BOARD_MEMBER, None),
            ("Meta Platforms", Interest.SENIOR_MANAGING_OFFICIAL, None),
        ]
        assert seats[1].start_date == DEAL_DATE

        events = OwnershipEvent.objects.filter(subject=scale).order_by("id")
        assert [(e.kind, e.counterparty, e.person, e.share, e.effective_date) for e in events] == [
            ("acquisition", meta, None, Decimal("49"), DEAL_DATE),
            ("executive_move", meta, ceo, None, DEAL_DATE),
        ]
        assert {event.status for event in events} == {"processed"}

        scale_vendor = Vendor.objects.get(entity=scale)
        assert (scale_vendor.category, scale_vendor.tier, scale_vendor.data_access) == (
            "data_labelling",
            1,
            "restricted",
        )
        assert Vendor.objects.get(entity=remotasks).data_access == "confidential"
        contract = Contract.objects.get(vendor=scale_vendor, change_of_control_clause=True)
        assert contract.coc_termination_window_days == 30
        assert contract.start_date <= DEAL_DATE <= contract.end_date
        under_meta = Contract.objects.filter(vendor__entity__in=[scale, remotasks], currency="USD")
        assert sum(c.value for c in under_meta) == Decimal("201000000.00")

        levels = dict(
            Vendor.objects.filter(entity__name__in=["Scale AI", "Remotasks"]).values_list(
                "entity__name", "risk_level"
            )
        )
        assert levels == {"Scale AI": "critical", "Remotasks": "high"}
        factors = vendor_latest_assessment(vendor=scale_vendor).factors.all()
        assert {f.code: (f.effective_share, f.path) for f in factors} == {
            "competitor_ownership": (Decimal("49"), [meta.pk, scale.pk]),
            "key_person_interlock": (None, [meta.pk, ceo.pk, scale.pk]),
        }
        coc = Alert.objects.get(kind="change_of_control", vendor__entity__name="Scale AI")
        assert (coc.contract.coc_termination_window_days, coc.due_date) == (
            30,
            datetime.date(2025, 7, 13),
        )

    def test_demo_data_fills_every_list_and_its_users_sign_in(self):
        vendors = Vendor.objects.all()
        assert vendors.count() == 56
        assert not vendors.filter(business_owner__isnull=True).exists()
        assert not vendors.filter(contracts__isnull=True).exists()
        assert not vendors.filter(assessments__isnull=True).exists()
        assert Counter(vendors.values_list("risk_level", flat=True)) == {
            "low": 34,
            "medium": 9,
            "high": 8,
            "critical": 5,
        }
        assert set(Contract.objects.values_list("currency", flat=True)) == {"USD", "EUR", "GBP"}
        assert set(WatchlistEntry.objects.values_list("category", flat=True)) == {
            "competitor",
            "sanctioned",
            "state_owned",
            "other",
        }
        assert set(Entity.objects.values_list("kind", flat=True)) == {"company", "fund", "person"}
        assert Ownership.objects.filter(share_min=25, share_max=50).count() == 2
        assert Ownership.objects.filter(share__isnull=True, share_max__isnull=False).count() == 4
        shareholdings = set(
            Ownership.objects.filter(interest=Interest.SHAREHOLDING).values_list("owner", "owned")
        )
        assert len({frozenset(pair) for pair in shareholdings if pair[::-1] in shareholdings}) == 2
        assert Ownership.objects.filter(interest=Interest.BOARD_MEMBER).count() == 9
        assert set(Alert.objects.values_list("kind", flat=True)) == {
            "risk_increased",
            "change_of_control",
            "new_influence",
        }
        assert OwnershipEvent.objects.exclude(dilution=[]).count() == 2

        signed_in = {}
        for username, password in [
            ("buyer", "buyer-demo"),
            ("analyst", "analyst-demo"),
            ("viewer", "viewer-demo"),
        ]:
            user = authenticate(username=username, password=password)
            signed_in[username] = (list(user.groups.values_list("name", flat=True)), user.is_staff)
        assert signed_in == {
            "buyer": (["Procurement"], False),
            "analyst": (["Risk analyst"], True),
            "viewer": (["Viewer"], False),
        }

    def test_demo_contracts_in_euros_and_pounds_are_converted_on_the_dashboard(self):
        from registry.selectors import exposure_by_influencing_party

        currencies = set(Contract.objects.values_list("currency", flat=True))
        assert currencies == {"USD", "EUR", "GBP"}
        ranking = exposure_by_influencing_party(today=datetime.date(2026, 1, 15))
        assert ranking.missing == []
        assert [(r.currency, r.rate, r.valid_from) for r in ranking.rates] == [
            ("EUR", Decimal("1.16"), datetime.date(2025, 7, 1)),
            ("GBP", Decimal("1.34"), datetime.date(2025, 7, 1)),
        ]
        # Ranked by value: Meta Platforms' USD 201M leads.
        assert ranking.rows[0].party.name == "Meta Platforms"
        assert ranking.rows[0].value == Decimal("201000000.00")
        values = [row.value for row in ranking.rows]
        assert values == sorted(values, reverse=True)
