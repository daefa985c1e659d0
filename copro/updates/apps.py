from django.apps import AppConfig


class UpdatesConfig(AppConfig):
    name = "copro.updates"
    label = "updates"
    verbose_name = "Project updates"

    def ready(self) -> None:
        from copro.updates import component  # noqa: F401 - registers the updates component
