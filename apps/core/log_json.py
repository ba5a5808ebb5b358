"""One JSON object per log line (console and logs/seidra.log), so Loki, jq and `tail -f` read them.

Keys: timestamp (UTC, ISO 8601, milliseconds), level, logger, message, request_id and job_id when
the line belongs to one (apps/core/log_context.py), trace_id and span_id when a trace is recording,
and exc_info for a traceback. No dependency: the standard library's json.
"""

import json
import logging
from datetime import UTC, datetime

from .log_context import job_id_var, request_id_var


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id := request_id_var.get():
            line["request_id"] = request_id
        if job_id := job_id_var.get():
            line["job_id"] = job_id
        line.update(_trace_ids())
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _trace_ids() -> dict[str, str]:
    """The current span's ids, so a log line leads to its trace in Tempo (nothing without tracing)."""
    try:
        from opentelemetry import trace
    except ImportError:  # the API is in base.txt; a trimmed install still logs
        return {}
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": format(context.trace_id, "032x"), "span_id": format(context.span_id, "016x")}
