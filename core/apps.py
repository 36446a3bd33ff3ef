from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from core.audit import record_request

        pre_create_historical_record.connect(record_request, dispatch_uid="core.audit")
