from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "copro.moderation"
    label = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        from copro.moderation import component  # noqa: F401 - registers the moderation component
