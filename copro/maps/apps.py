from django.apps import AppConfig


class MapsConfig(AppConfig):
    name = "copro.maps"
    label = "maps"
    verbose_name = "Maps"

    def ready(self) -> None:
        from copro.maps import component  # noqa: F401 - registers the community maps component
