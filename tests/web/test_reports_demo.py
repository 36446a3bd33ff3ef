"""Meta Platforms' exposure report in the demo data, as a buyer prints it."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import TestCase

from registry.models import Entity
from tests.web.test_reports import pdf_text, vendor_rows


@pytest.mark.django_db
class TestDemoExposureReport(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        with cls.captureOnCommitCallbacks(execute=True):
            call_command("seed_demo", verbosity=0, stdout=StringIO())
        cls.meta = Entity.objects.get(name="Meta Platforms")

    def setUp(self) -> None:
        self.client.login(username="buyer", password="buyer-demo")

    def test_meta_platforms_report_has_its_vendors_and_the_dashboards_total(self):
        dashboard = self.client.get("/").content.decode()
        assert f'href="/reports/exposure/{self.meta.pk}/"' in dashboard
        html = self.client.get(f"/reports/exposure/{self.meta.pk}/").content.decode()
        rows = vendor_rows(html)
        assert [row[0] for row in rows][:2] == ["Scale AI", "Remotasks"]
        assert rows[0][1:5] == ["Critical score 89", "49.00%", "No", "Yes"]
        total = html.split('id="report-totals"')[1].split("</dd>")[0]
        assert "USD 201," in total
        response = self.client.get(f"/reports/exposure/{self.meta.pk}/?format=pdf")
        text, pages, _ = pdf_text(response)
        assert "Exposure to Meta Platforms" in text and "CTR-2023-0001" in text
        assert "USD 148,500,000.00" in text and "2025-07-13" in text
        assert pages >= 2
