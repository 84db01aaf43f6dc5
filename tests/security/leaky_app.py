"""The real Celery app with careless log lines: ``celery -A tests.security.leaky_app worker``.

Each time a tenant's Spectrum or platform settings are built, the worker logs that tenant's
secrets three ways: a root-logger line, a task-logger line and a traceback, as a careless log
statement or an exception message would. The log must show none of them.

``LEAKY_UNMASKED=1`` is the negative control: it takes the masking off the handlers Celery set up,
as they were before the worker masked them, so the test can show the secrets would be there.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

import django
from celery.signals import after_setup_logger, after_setup_task_logger
from celery.utils.log import get_task_logger

from connectors.redaction import RedactingFilter, RedactingFormatter
from spectrum_sync.celery import app

django.setup()

from spectrum_sync import connections  # noqa: E402
from spectrum_sync.models import Tenant  # noqa: E402

__all__ = ["app"]

log = logging.getLogger("tests.careless")
task_log = get_task_logger("tests.careless.task")


def _secrets(owner: Any) -> list[str]:
    tenant = owner if isinstance(owner, Tenant) else owner.tenant
    connection = tenant.connection
    return [
        connection.authorization_id,
        connection.enhanced_client_secret,
        connection.db_password,
        tenant.platform_signing_secret,
    ]


def _careless(real: Callable[..., Any]) -> Callable[..., Any]:
    def built(owner: Any) -> Any:
        result = real(owner)
        values = " ".join(_secrets(owner))
        log.warning("careless settings dump: %s", values)
        task_log.warning("careless task log: %s", values)
        try:
            raise RuntimeError(f"careless failure holding {values}")
        except RuntimeError:
            log.exception("careless traceback")
        return result

    return built


for _name in ("dx_config", "db_config", "platform_client"):
    setattr(connections, _name, _careless(getattr(connections, _name)))


if os.environ.get("LEAKY_UNMASKED"):

    @after_setup_logger.connect
    @after_setup_task_logger.connect
    def _unmask(logger: logging.Logger, **_: object) -> None:
        for handler in logger.handlers:
            handler.filters = [f for f in handler.filters if not isinstance(f, RedactingFilter)]
            if isinstance(handler.formatter, RedactingFormatter):
                handler.formatter = handler.formatter.inner
