from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "copro.meetings"
    label = "meetings"
    verbose_name = "Meetings"

    def ready(self) -> None:
        from copro.meetings import component  # noqa: F401 - registers the component
