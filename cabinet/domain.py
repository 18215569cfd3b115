"""The one base of every refusal the rules give: areas raise their own kinds, views show the message."""


class DomainError(ValueError):
    """A step the rules refuse now: a stable code for programs and tests, a translated message for the person."""

    code = "refused"

    def __init__(self, message, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return str(self.message)
