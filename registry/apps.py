from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Registry"

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from registry.audit import record_request

        pre_create_historical_record.connect(record_request, dispatch_uid="registry.audit")
