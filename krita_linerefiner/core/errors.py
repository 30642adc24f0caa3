from __future__ import annotations


class LineRefinerError(Exception):
    """An error the user can act on: `message` says what went wrong, `hint` what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class CancelledError(LineRefinerError):
    """Raised by long-running core functions when their cancel callback returns True."""

    def __init__(self, message: str = "Cancelled", hint: str | None = None) -> None:
        super().__init__(message, hint)
