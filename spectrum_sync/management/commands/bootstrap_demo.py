from typing import Any

from django.core.management.base import BaseCommand

from spectrum_sync.demo import ensure_demo


class Command(BaseCommand):
    help = "Create (or refresh) the demo tenant and the admin login, and print them."

    def handle(self, *args: Any, **options: Any) -> None:
        login = ensure_demo()
        self.stdout.write(self.style.SUCCESS("Demo tenant ready: " + login.tenant.name))
        self.stdout.write(f"  admin login:     {login.username} / {login.password}")
        self.stdout.write(f"  demo API key:    {login.api_key}")
