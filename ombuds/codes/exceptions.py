class CodeError(Exception):
    """A code operation that cannot be done; the message says why, in one line, for a person."""


class VersionFrozen(CodeError):
    """A published version is immutable."""
