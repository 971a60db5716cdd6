from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "mlpath.progress"
    label = "progress"
    verbose_name = "Learner progress"

    def ready(self):
        # The account pages live in this app, so it wires the failed sign-in log line.
        from mlpath import security  # noqa: F401
