"""Every log line carries the id of the request it was written for ("-" outside requests), the
id a 500 answer gives its caller (core.middleware.RequestGuardMiddleware)."""

import logging


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from core.middleware import request_id_var

        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True
