"""Domain errors raised by services; the API and pages turn them into readable messages."""

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A refused business action with a stable machine-readable ``code``.

    Subclassing ValidationError lets forms show it like any validation message while the API
    exception handler keeps the code (e.g. ``stage_backward``) for client systems.
    """

    def __init__(self, message, code: str, field: str | None = None):
        self.field = field
        super().__init__(message, code=code)


class NotPermitted(DomainError):
    """A business action this user may not take (the API answers 403, pages show the message)."""
