from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "mlpath.groups"
    label = "groups"
    verbose_name = "Study groups"

    def ready(self):
        from . import signals

        signals.connect()
