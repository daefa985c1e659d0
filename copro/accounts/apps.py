from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "copro.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from copro.accounts import component  # noqa: F401 - registers the accounts component
