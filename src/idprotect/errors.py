"""The error family: each class fixes its HTTP status and Graph error code; mapped once in api/."""

from __future__ import annotations


class GraphError(Exception):
    """An error that Graph reports to the caller as `{"error": {"code", "message", ...}}`."""

    status: int = 500
    code: str = "InternalServerError"
    # Seconds for the Retry-After header, when the error carries one.
    retry_after: int | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(GraphError):
    status = 400
    code = "BadRequest"


class ResourceNotFoundForSegment(GraphError):
    """An URL segment that names nothing in the service (Graph answers 400, not 404)."""

    status = 400
    code = "BadRequest"

    def __init__(self, segment: str) -> None:
        super().__init__(f"Resource not found for the segment '{segment}'.")


class NotFound(GraphError):
    status = 404
    code = "NotFound"


class MethodNotAllowed(GraphError):
    status = 405
    code = "Request_BadRequest"

    def __init__(self, allow: str) -> None:
        super().__init__("Specified HTTP method is not allowed for the request target.")
        self.allow = allow  # the methods the target does answer, for the Allow header


class Unauthenticated(GraphError):
    status = 401
    code = "InvalidAuthenticationToken"


class Forbidden(GraphError):
    status = 403
    code = "Forbidden"


class AccessDenied(GraphError):
    status = 403
    code = "AccessDenied"


class RequestTimeout(GraphError):
    """A request whose head or body did not arrive within the server's time limit."""

    status = 408
    code = "RequestTimeout"

    def __init__(self) -> None:
        super().__init__("The request was not received in time.")


class RequestEntityTooLarge(GraphError):
    status = 413
    code = "RequestEntityTooLarge"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than the limit of {limit} bytes.")


class RequestUriTooLong(GraphError):
    status = 414
    code = "RequestUriTooLong"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request URL is longer than the limit of {limit} bytes.")


class RequestHeaderFieldsTooLarge(GraphError):
    status = 431
    code = "RequestHeaderFieldsTooLarge"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request line and headers are larger than {limit} bytes.")


class FailedDependency(GraphError):
    """A $batch request whose dependsOn target failed."""

    status = 424
    code = "FailedDependency"


class ServiceUnavailable(GraphError):
    """The database is busy or unreachable; the work was rolled back, so a retry is safe."""

    status = 503
    code = "ServiceUnavailable"
    # Seconds a client should wait before retrying (the Retry-After header): long enough for a
    # restarting database or a long transaction to finish, short enough that msgraph-core's
    # three retries still land within a minute.
    retry_after = 5

    def __init__(self, message: str = "The service is busy. Retry the request.") -> None:
        super().__init__(message)


class InternalServerError(GraphError):
    status = 500
    code = "InternalServerError"


class TooManyRequests(GraphError):
    """Throttled (ops/throttle.py): Graph's 429, with Retry-After only when the profile says."""

    status = 429
    code = "TooManyRequests"

    def __init__(self, message: str = "Too many requests.", retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BadGateway(GraphError):
    status = 502
    code = "BadGateway"


class GatewayTimeout(GraphError):
    status = 504
    code = "GatewayTimeout"
