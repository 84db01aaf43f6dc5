from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from spectrum_sync.fields import EncryptedTextField


class Command(BaseCommand):
    help = (
        "Re-encrypt every secret under the first key of FIELD_ENCRYPTION_KEYS. Run after putting a new "
        "key first; afterwards the old keys can be removed from the list."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not names:
                continue
            with transaction.atomic():
                # Loading decrypts with whichever key fits; saving encrypts with the first key.
                for obj in model._default_manager.select_for_update().only("pk", *names):
                    obj.save(update_fields=names)
                    total += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the secrets of {total} rows."))
