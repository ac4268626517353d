"""Every log line carries the id of the request it was written for ("-" outside requests), the
id a 500 answer gives its caller (core.middleware.RequestGuardMiddleware)."""

import logging


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from core.middleware import request_id_var

        if not hasattr(record, "request_id"):
            # Django logs a 4xx answer after the middleware has finished, with the request
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or request_id_var.get()
        return True
