from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks
        from simple_history.signals import pre_create_historical_record

        import core.lookups  # noqa: F401  (registers ``__any_of``)
        from core.audit import last_login_record, record_request
        from core.sso import check_sso_settings

        pre_create_historical_record.connect(record_request, dispatch_uid="core.audit")
        checks.register(check_sso_settings)
        # Django's own receiver saves the user; ours records the time without an audit record.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(last_login_record, dispatch_uid="update_last_login")
