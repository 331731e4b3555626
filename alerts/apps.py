from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from alerts.signals import follow_pending

        user_logged_in.connect(follow_pending, dispatch_uid="alerts.follow_pending")
