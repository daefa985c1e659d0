from django.apps import AppConfig


class DecisionsConfig(AppConfig):
    name = "copro.decisions"
    label = "decisions"
    verbose_name = "Decisions"

    def ready(self) -> None:
        from copro.decisions import component  # noqa: F401 - registers the decisions component
