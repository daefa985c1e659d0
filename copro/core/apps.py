from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "copro.core"
    label = "core"
    verbose_name = "Copro core"
