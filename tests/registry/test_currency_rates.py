"""Exchange rates to the reporting currency: kept by risk analysts in the admin, with their
history; every role reads them; the rate in force on a day is the latest one from before it."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from registry import services
from registry.models import CurrencyRate
from registry.selectors.dashboard import currency_rates_on
from tests.factories import CurrencyRateFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:registry_currencyrate_add")


def staff(client, user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    return client


def test_an_analyst_adds_a_rate_in_the_admin_and_its_history_names_them(client, analyst):
    staff(client, analyst)
    response = client.post(
        ADD, {"currency": "eur", "rate": "1.0845", "valid_from": "2026-01-02", "source": "ECB"}
    )
    assert response.status_code == 302
    rate = CurrencyRate.objects.get()
    assert (rate.currency, rate.quote_currency, rate.rate, rate.valid_from, rate.source) == (
        "EUR",
        "USD",
        Decimal("1.0845"),
        datetime.date(2026, 1, 2),
        "ECB",
    )
    change = reverse("admin:registry_currencyrate_change", args=[rate.pk])
    client.post(change, {"currency": "EUR", "rate": "1.0900", "valid_from": "2026-01-02"})
    rate.refresh_from_db()
    assert rate.rate == Decimal("1.09")
    history = list(rate.history.order_by("history_date").values_list("rate", "history_user"))
    assert history == [(Decimal("1.0845"), analyst.pk), (Decimal("1.09"), analyst.pk)]
    page = client.get(reverse("admin:registry_currencyrate_history", args=[rate.pk]))
    assert page.status_code == 200


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"currency": "USD", "rate": "1"}, "currency", "USD is the reporting currency"),
        ({"currency": "XXY", "rate": "1"}, "currency", "is not an ISO 4217 currency code"),
        ({"currency": "EUR", "rate": "0"}, "rate", "greater than or equal to 1E-8"),
        ({"currency": "EUR", "rate": "-2"}, "rate", "greater than or equal to 1E-8"),
        ({"currency": "EUR", "rate": "abc"}, "rate", "Enter a number."),
    ],
)
def test_a_bad_rate_is_refused_at_its_field_and_nothing_is_saved(
    client, analyst, data, field, message
):
    staff(client, analyst)
    response = client.post(ADD, {"valid_from": "2026-01-02", **data})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert CurrencyRate.objects.count() == 0


def test_a_second_rate_of_a_currency_on_the_same_day_is_refused(client, analyst):
    CurrencyRateFactory(currency="EUR", valid_from=datetime.date(2026, 1, 2))
    staff(client, analyst)
    response = client.post(ADD, {"currency": "EUR", "rate": "1.2", "valid_from": "2026-01-02"})
    assert response.status_code == 200
    assert "This currency already has a rate from that day." in response.content.decode()
    assert CurrencyRate.objects.count() == 1


@pytest.mark.parametrize("role", ["buyer", "viewer"])
def test_only_risk_analysts_keep_rates_and_every_role_reads_them(client, request, role):
    rate = CurrencyRateFactory()
    staff(client, request.getfixturevalue(role))
    assert client.get(reverse("admin:registry_currencyrate_changelist")).status_code == 200
    assert client.get(ADD).status_code == 403
    change = reverse("admin:registry_currencyrate_change", args=[rate.pk])
    assert client.post(change, {"currency": "EUR", "rate": "9"}).status_code == 403
    rate.refresh_from_db()
    assert rate.rate == Decimal("1.10")


def test_the_rate_in_force_is_the_latest_from_before_the_day():
    for day, rate in (("2025-01-01", "1.05"), ("2025-07-01", "1.12"), ("2026-01-01", "1.17")):
        services.currency_rate_create(
            currency="EUR", rate=Decimal(rate), valid_from=datetime.date.fromisoformat(day)
        )
    services.currency_rate_create(
        currency="GBP", rate=Decimal("1.27"), valid_from=datetime.date(2025, 1, 1)
    )

    def on(day: str) -> dict[str, Decimal]:
        rates = currency_rates_on(datetime.date.fromisoformat(day), ["EUR", "GBP", "USD", "JPY"])
        return {code: used.rate for code, used in rates.items()}

    assert on("2024-12-31") == {}
    assert on("2025-06-30") == {"EUR": Decimal("1.05"), "GBP": Decimal("1.27")}
    assert on("2025-07-01") == {"EUR": Decimal("1.12"), "GBP": Decimal("1.27")}
    assert on("2026-03-01") == {"EUR": Decimal("1.17"), "GBP": Decimal("1.27")}


def test_a_rate_keeps_the_reporting_currency_it_was_entered_for():
    rate = services.currency_rate_create(
        currency="EUR", rate=Decimal("1.08"), valid_from=datetime.date(2026, 1, 1)
    )
    with override_settings(REPORTING_CURRENCY="GBP"):
        assert currency_rates_on(datetime.date(2026, 6, 1), ["EUR"]) == {}
    assert rate.quote_currency == "USD"
    with pytest.raises(ValidationError) as refused:
        services.currency_rate_create(
            currency="USD", rate=Decimal("1"), valid_from=datetime.date(2026, 1, 1)
        )
    assert refused.value.message_dict == {
        "currency": ["USD is the reporting currency: it needs no rate."]
    }
