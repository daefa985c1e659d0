from django.apps import AppConfig


class FollowthroughConfig(AppConfig):
    name = "copro.followthrough"
    label = "followthrough"
    verbose_name = "Followthrough"

    def ready(self) -> None:
        from copro.followthrough import (
            component,  # noqa: F401 - registers the component
            report_component,  # noqa: F401 - reports, health and open data
        )
