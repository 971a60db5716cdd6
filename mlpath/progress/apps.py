from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "mlpath.progress"
    label = "progress"
    verbose_name = "Learner progress"
