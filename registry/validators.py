"""Field validators backed by the standards' own libraries (ISO 17442, ISO 3166-1, ISO 4217)."""

import datetime
import functools
import re
from decimal import Decimal

import pycountry
from django.core.exceptions import ValidationError
from stdnum import lei
from stdnum.exceptions import ValidationError as StdnumError

#: Dates outside this window are typing mistakes, not ownership history or plans.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_YEARS_AHEAD = 10


#: The canonical form of an LEI (as the database constraint has it).
_LEI_CANONICAL = re.compile(r"[0-9A-Z]{18}[0-9]{2}")


def validate_lei(value: str) -> None:
    """Refuse an LEI whose format or ISO 17442 (ISO 7064 mod 97-10) check digits are wrong."""
    # The common case, a canonical LEI whose check digits hold, is decided here in one pass
    # (a spreadsheet checks thousands); anything else gets the library's verdict and reason.
    if _LEI_CANONICAL.fullmatch(value) and int("".join(str(int(c, 36)) for c in value)) % 97 == 1:
        return
    try:
        canonical = lei.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            "“%(value)s” is not a valid LEI: %(reason)s",
            code="invalid_lei",
            params={"value": value, "reason": str(exc).rstrip(".").lower()},
        ) from exc
    if canonical != value:
        raise ValidationError(
            "Write the LEI as its 20 characters in upper case, without spaces: %(canonical)s.",
            code="lei_not_canonical",
            params={"canonical": canonical},
        )


@functools.cache
def _alpha_2_codes() -> frozenset[str]:
    # pycountry's own look-up takes a lock on every call; a spreadsheet checks thousands.
    return frozenset(country.alpha_2 for country in pycountry.countries)


@functools.cache
def _currency_codes() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


def validate_country(value: str) -> None:
    """Refuse anything that is not an ISO 3166-1 alpha-2 country code (upper case)."""
    if not (len(value) == 2 and value.isupper() and value in _alpha_2_codes()):
        raise ValidationError(
            "“%(value)s” is not an ISO 3166-1 alpha-2 country code (e.g. US, GB, DE).",
            code="invalid_country",
            params={"value": value},
        )


def validate_currency(value: str) -> None:
    """Refuse anything that is not an ISO 4217 currency code (upper case)."""
    if not (len(value) == 3 and value.isupper() and value in _currency_codes()):
        raise ValidationError(
            "“%(value)s” is not an ISO 4217 currency code (e.g. USD, EUR, GBP).",
            code="invalid_currency",
            params={"value": value},
        )


def validate_percent(value: Decimal) -> None:
    """Refuse a share outside 0–100 percent."""
    if not Decimal(0) <= value <= Decimal(100):
        raise ValidationError(
            "%(value)s%% is not a share: a share runs from 0 to 100 percent.",
            code="invalid_percent",
            params={"value": value},
        )


def validate_plausible_date(value: datetime.date) -> None:
    """Refuse dates before 1900 or more than ten years ahead."""
    latest = datetime.date.today() + datetime.timedelta(days=round(365.25 * LATEST_YEARS_AHEAD))
    if value < EARLIEST_DATE:
        raise ValidationError("Dates before 1900 are not accepted.", code="date_too_early")
    if value > latest:
        raise ValidationError(
            "Dates more than %(years)s years ahead are not accepted.",
            code="date_too_late",
            params={"years": LATEST_YEARS_AHEAD},
        )
