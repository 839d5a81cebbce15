"""gunicorn's settings for `make serve` and the systemd unit (dangjian-web.service).

Workers: the pages are database-bound and short, so plain sync workers, about
two per core plus one (WEB_CONCURRENCY overrides it). A worker is recycled
after about a thousand requests, so no slow leak outlives a day's use.
"""

import multiprocessing
import os

bind = f"{os.environ.get('BIND_HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A county's roster export (70,000 rows as xlsx) takes several seconds; 120 s
# is the ceiling before gunicorn kills a stuck worker.
timeout = 120
graceful_timeout = 30
max_requests = 1000
max_requests_jitter = 100
accesslog = "-"
errorlog = "-"
# Behind nginx on the same machine: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
