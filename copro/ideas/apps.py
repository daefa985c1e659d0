from django.apps import AppConfig


class IdeasConfig(AppConfig):
    name = "copro.ideas"
    label = "ideas"
    verbose_name = "Ideas"

    def ready(self) -> None:
        from copro.ideas import component  # noqa: F401 - registers the component
