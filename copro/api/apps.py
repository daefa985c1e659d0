from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "copro.api"
    label = "api"
    verbose_name = "REST API"
