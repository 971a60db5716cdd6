from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mlpath.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # Wires the log line for every failed sign-in.
        from . import security  # noqa: F401
