from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "copro.projects"
    label = "projects"
    verbose_name = "Projects"

    def ready(self) -> None:
        from copro.projects import component  # noqa: F401 - registers the projects component
