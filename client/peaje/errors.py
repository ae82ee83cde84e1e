"""The error vocabulary every engine and face shares (design.md, "Errors")."""

from __future__ import annotations


class PeajeError(Exception):
    """Base class of peaje's own errors."""


class InvalidArgument(PeajeError, ValueError):
    """A bad argument: not an int64, unsorted values, a malformed spec, a bad option."""


class TooLarge(InvalidArgument):
    """A size cap was exceeded (dataset, batch, message). gRPC RESOURCE_EXHAUSTED, HTTP 413."""


class Unavailable(PeajeError, ConnectionError):
    """The backend cannot be reached. gRPC UNAVAILABLE, HTTP 503."""


class Overloaded(Unavailable):
    """The backend is up but refusing work for now (over its concurrency cap). gRPC UNAVAILABLE
    with a ``grpc-retry-pushback-ms`` trailer, HTTP 503 with ``Retry-After``: ``retry_after`` is
    the wait it asked for, in seconds."""

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DeadlineExceeded(PeajeError, TimeoutError):
    """The call did not finish within its deadline. gRPC DEADLINE_EXCEEDED, HTTP 504."""
