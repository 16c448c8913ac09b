"""One exception type for errors a user can cause: a stable code, a Chinese message, an HTTP status.

Services raise these; the API turns them into 4xx JSON and pages show the message next to the field.
"""


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None, details: list | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = details or []

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class NotAllowed(DomainError):
    """The actor lacks the role or the scope (department, region) for this act."""

    status = 403

    def __init__(self, message: str = "无权执行此操作", code: str = "forbidden", **kw):
        super().__init__(code, message, **kw)


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str = "未找到", code: str = "not_found", **kw):
        super().__init__(code, message, **kw)


class Conflict(DomainError):
    """The object is not in a state that allows the act (e.g. editing a published version)."""

    status = 409


class Invalid(DomainError):
    """Input that cannot be processed as given (a date outside the calendar, an absurd count)."""

    status = 422
