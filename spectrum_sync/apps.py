from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate, post_save

from spectrum_sync.catalogue import discover


def _sync_roles(**kwargs: Any) -> None:
    from spectrum_sync.adminsite.roles import sync_roles

    sync_roles()


class SpectrumSyncConfig(AppConfig):
    name = "spectrum_sync"
    verbose_name = "Spectrum Sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every module of the catalogue is an exported type: register them before anything reads them.
        discover()
        # Keep the three roles' permissions complete as models are added: run after the last
        # app's post_migrate, when every app's permissions exist (also after test flushes).
        last_app = list(apps.get_app_configs())[-1]
        post_migrate.connect(_sync_roles, sender=last_app, dispatch_uid="spectrum_sync.sync_roles")
        # Connected here, not called from the model's save, so the models never import an engine.
        from spectrum_sync.exports.holds import release_on_new_connection

        post_save.connect(
            release_on_new_connection,
            sender="spectrum_sync.SpectrumConnection",
            dispatch_uid="spectrum_sync.release_on_new_connection",
        )
