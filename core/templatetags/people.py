"""``{{ user|person }}``: a user named as everywhere else (see ``core.people``)."""

from django import template

from core.people import person_label

register = template.Library()


@register.filter
def person(user, empty: str = "—") -> str:
    """The user's label, or ``empty`` (an em dash unless given) for nobody."""
    return person_label(user or None, empty=empty)
