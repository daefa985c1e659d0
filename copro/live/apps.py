from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "copro.live"
    label = "live"
    verbose_name = "Live"

    def ready(self) -> None:
        from copro.live import component  # noqa: F401 - registers the component
