from django.apps import AppConfig


class MappingsConfig(AppConfig):
    name = "mappings"
    verbose_name = "Mappings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from mappings.signals import connect

        connect()
