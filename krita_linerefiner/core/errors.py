from __future__ import annotations

from collections.abc import Callable


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


def check_cancel(cancel: Callable[[], bool] | None) -> None:
    """Raise CancelledError when the caller's cancel callback says so (None: never)."""
    if cancel is not None and cancel():
        raise CancelledError()
