"""gunicorn's settings for the web process: ``gunicorn -c spectrum_sync/gunicorn_conf.py spectrum_sync.wsgi``.

A post spends most of its time waiting on PostgreSQL and the broker, so each worker process runs
several threads (gthread), one worker per core: Python runs one thread at a time per process, and
more processes than cores only trade places on them. Each thread keeps its own database connection
open between requests (``DATABASE_CONN_MAX_AGE``), so the database sees workers x threads
connections. Threaded workers also keep a client's connection open between its requests, which the
platform's senders reuse. Every value can be changed with an environment variable, or on the command
line (which wins).

https://docs.gunicorn.org/en/stable/settings.html
"""

from __future__ import annotations

import os

# One worker per core by default (WEB_CONCURRENCY is the variable hosting platforms set).
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Seconds an idle client connection stays open for its next request.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# A request still running after this many seconds has its worker restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Workers are replaced after this many requests (spread out, so not all at once): memory a
# long-running process gathers is given back.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
# Logs go where the app's own go (standard error), one line per request only when asked for.
errorlog = "-"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
