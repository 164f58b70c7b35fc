"""Errors that services raise and that the API and UI turn into 4xx answers with a Chinese message."""


class ServiceError(Exception):
    """A refused request: `code` is for machines, `message` is for people, `fields` maps field → message."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields}

    @property
    def detail(self) -> str:
        """The field messages on one line."""
        return "；".join(self.fields.values())

    def full_message(self) -> str:
        """The message and its field messages, for a page's flash message or a command's error."""
        return f"{self.message}：{self.detail}" if self.fields else self.message


class ValidationFailed(ServiceError):
    status = 400
    code = "invalid"

    def __init__(self, fields: dict[str, str], message: str = "提交的内容有误，请检查后重试"):
        super().__init__(message, fields=fields)


class PermissionDenied(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"
