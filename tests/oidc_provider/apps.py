from django.apps import AppConfig


class TestProviderConfig(AppConfig):
    name = "tests.oidc_provider"
    label = "test_provider"  # "oidc_provider" is the provider package's own
