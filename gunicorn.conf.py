"""gunicorn for the web process (the image's CMD and docker-compose's web service):

    gunicorn -c gunicorn.conf.py config.wsgi

Every request is short: documents, large imports and deliveries run in the Celery worker, so
a request still running after WEB_TIMEOUT seconds is stuck and its worker is replaced. Command-
line flags and GUNICORN_CMD_ARGS (e.g. "--max-requests 500") override what is set here.
"""

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = f"0.0.0.0:{_int('PORT', 8000)}"
# processes; each handles one request at a time (sync workers)
workers = _int("WEB_CONCURRENCY", 3)
# a worker silent for this long is killed and replaced (the request gets a 502 from the proxy)
timeout = _int("WEB_TIMEOUT", 60)
# on SIGTERM (docker stop, a deploy) requests under way get this long to finish;
# docker-compose's stop_grace_period for web is longer
graceful_timeout = 30
# an idle connection from the reverse proxy is kept open this many seconds
keepalive = 5
# each worker is replaced after about this many requests (a slow leak never grows for long);
# the jitter keeps the workers from all restarting at once
max_requests = 1000
max_requests_jitter = 100
# access and error log to stdout/stderr, collected by docker with the rest
accesslog = "-"
errorlog = "-"
# the workers' heartbeat files in memory, not on the container's overlay disk, whose stalls
# would look like hung workers
# (gunicorn creates them with mkstemp, private to its user)
SHM = "/dev/shm"  # noqa: S108
if os.path.isdir(SHM) and os.access(SHM, os.W_OK):
    worker_tmp_dir = SHM
# the longest request line (method, address with its query, protocol) gunicorn reads: its
# maximum, for filters with many values; longer ones get gunicorn's 414
limit_request_line = 8190
