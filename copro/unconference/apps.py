from django.apps import AppConfig


class UnconferenceConfig(AppConfig):
    name = "copro.unconference"
    label = "unconference"
    verbose_name = "Unconference"

    def ready(self) -> None:
        from copro.unconference import component  # noqa: F401 - registers the component
