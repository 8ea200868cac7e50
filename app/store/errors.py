"""Domain errors raised by the store; the web layer maps each to one HTTP status."""


class NotFound(LookupError):
    """No row with that id."""

    def __init__(self, kind: str, ident: int) -> None:
        self.kind, self.ident = kind, ident
        super().__init__(f"{kind} {ident} not found")


class Conflict(RuntimeError):
    """The request is valid but the stored state does not allow it (e.g. telling a trial twice)."""
