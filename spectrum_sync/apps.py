from django.apps import AppConfig


class SpectrumSyncConfig(AppConfig):
    name = "spectrum_sync"
    verbose_name = "Spectrum Sync"
    default_auto_field = "django.db.models.BigAutoField"
