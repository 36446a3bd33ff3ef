"""Reads of contracts."""

from django.db.models import QuerySet

from registry.models import Contract


def contract_list() -> QuerySet[Contract]:
    """Contracts of all vendors."""
    return Contract.objects.all()


def contract_page() -> QuerySet[Contract]:
    """Contracts with their vendor's name and their owner, for the contract's page and form."""
    return Contract.objects.select_related("vendor__entity", "owner")


def contract_page_list() -> QuerySet[Contract]:
    """Contracts with their vendor's name and their owner, by reference, for the contract list
    and its exports."""
    return contract_page().order_by("reference", "id")
