from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core import checks
        from simple_history.signals import pre_create_historical_record

        from core.audit import record_request
        from core.sso import check_sso_settings

        pre_create_historical_record.connect(record_request, dispatch_uid="core.audit")
        checks.register(check_sso_settings)
