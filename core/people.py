"""How a person (a user) is named wherever the pages, the admin and the messages show one."""

from django.contrib.auth.models import AbstractBaseUser


def person_label(user: AbstractBaseUser | None, *, empty: str = "") -> str:
    """``"Full Name (username)"``, or the username alone when the user has no name; ``empty``
    for nobody."""
    if user is None:
        return empty
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    username = user.get_username()
    return f"{full} ({username})" if full else username
