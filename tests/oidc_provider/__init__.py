"""A small OpenID Connect provider (django-oidc-provider) that the single sign-on tests run
as a server of its own: its own settings, database and sign-in page, nothing shared with the
registry but the Python environment. tests/web/browser/test_sso.py starts it
(``provider.start_provider``)."""
