from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "copro.consultations"
    label = "consultations"
    verbose_name = "Consultations"

    def ready(self) -> None:
        from copro.consultations import component  # noqa: F401 - registers the consultations component
