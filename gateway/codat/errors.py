"""The Codat client's error tree: everything that can go wrong talking to Codat.

    CodatError
    ├── CodatQueryError          a query we refuse to send (also a ValueError; before any I/O)
    ├── CodatTransportError      no usable HTTP response (connect/read failure, timeout)
    ├── CodatInvalidResponse     a 2xx whose body breaks Codat's spec or contradicts itself
    │   ├── CodatInvalidRecord       a record without a field the spec requires (or mistyped)
    │   └── CodatInconsistentPaging  a list envelope contradicting the request or itself
    ├── CodatTooManyPages        a walk would need more pages than CODAT_MAX_PAGES_PER_LIST
    ├── CodatDeadlineExceeded    a walk ran past its operation's CODAT_WALK_DEADLINE_SECONDS
    └── CodatHTTPError           Codat answered with an error status
        ├── CodatBadRequest          400 (malformed query, bad body)
        ├── CodatUnauthorized        401
        ├── CodatPaymentRequired     402
        ├── CodatForbidden           403
        ├── CodatNotFound            404
        ├── CodatConflict            409 on a write (idempotency key in flight, too many values)
        │   └── CodatDataNotReady        409 on a read: the dataset is not synced yet
        ├── CodatUnprocessable       422 (idempotency key reused with another body)
        ├── CodatRateLimited         429 (carries retry_after)
        └── CodatServerError         5xx
            └── CodatUnavailable         503

`gateway/codat/transport.py` is the one place that turns httpx exceptions and HTTP statuses into
these; `schema/errors.py` is the one place that turns them into GraphQL `extensions.code`.
"""

from __future__ import annotations


class CodatError(Exception):
    """Anything that went wrong talking to Codat; `company_id` says for whom and `data_type`
    what was read (a Codat data type, or `companies`, `connections`, ...), when known."""

    def __init__(
        self, message: str, *, company_id: str | None = None, data_type: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.company_id = company_id
        self.data_type = data_type


class CodatTransportError(CodatError):
    """No usable HTTP response: the connection failed, was dropped, or timed out."""

    def __init__(
        self, message: str, *, method: str, url: str, company_id: str | None = None
    ) -> None:
        super().__init__(message, company_id=company_id)
        self.method = method
        self.url = url

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, method={self.method!r}, url={self.url!r})"


class CodatHTTPError(CodatError):
    """Codat answered with an error status; the class is chosen by the status, never the body."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        method: str,
        url: str,
        correlation_id: str | None = None,
        service: str | None = None,
        retry_after: float | None = None,
        company_id: str | None = None,
        data_type: str | None = None,
    ) -> None:
        super().__init__(message, company_id=company_id, data_type=data_type)
        self.status_code = status_code
        self.method = method
        self.url = url
        self.correlation_id = correlation_id
        self.service = service
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f" [correlation id {self.correlation_id}]" if self.correlation_id else ""
        return f"{self.status_code} from Codat for {self.method} {self.url}: {self.message}{where}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status_code={self.status_code}, "
            f"correlation_id={self.correlation_id!r}, company_id={self.company_id!r})"
        )


class CodatBadRequest(CodatHTTPError):  # noqa: N818 (names fixed by the tree above)
    """400: a malformed query or body."""


class CodatUnauthorized(CodatHTTPError):  # noqa: N818 (names fixed by the tree above)
    """401: the API key was refused."""


class CodatPaymentRequired(CodatHTTPError):  # noqa: N818 (names fixed by the tree above)
    """402: an account limit was reached."""


class CodatForbidden(CodatHTTPError):  # noqa: N818 (names fixed by the tree above)
    """403: the key may not use this resource or endpoint."""


class CodatNotFound(CodatHTTPError):  # noqa: N818 (names fixed by the tree above)
    """404: the resource (or the data type for this platform) does not exist."""


class CodatConflict(CodatHTTPError):  # noqa: N818 (names fixed by the tree above)
    """409 on a write: the idempotency key is still in flight, or a limit on values was hit."""


class CodatDataNotReady(CodatConflict):
    """409 on a read: the data type has not been synced yet (or is syncing)."""


class CodatUnprocessable(CodatHTTPError):  # noqa: N818 (names fixed by the tree above)
    """422: an idempotency key was reused with a different body."""


class CodatRateLimited(CodatHTTPError):  # noqa: N818 (names fixed by the tree above)
    """429: over the rate limit; `retry_after` says how long Codat asked us to wait."""


class CodatServerError(CodatHTTPError):
    """5xx: Codat failed."""


class CodatUnavailable(CodatServerError):  # noqa: N818 (names fixed by the tree above)
    """503: Codat is down for maintenance."""


class CodatQueryError(CodatError, ValueError):
    """A Codat query could not be built or validated (an inexpressible value, too long, bad syntax).

    Raised before any request is sent, so it is a `ValueError` as well as a `CodatError`.
    """


class CodatInvalidResponse(CodatError):  # noqa: N818 (names fixed by the tree above)
    """Codat answered 2xx with a body that breaks its own spec: nothing in it is trusted."""


class CodatInvalidRecord(CodatInvalidResponse):
    """A record that fails the spec: `record` is its id when it has one, else `#index` in its
    page; `field` is the dotted path of the first failing field (Codat's camelCase names)."""

    def __init__(
        self,
        message: str,
        *,
        data_type: str | None,
        record: str | None,
        field: str | None,
        company_id: str | None = None,
    ) -> None:
        super().__init__(message, data_type=data_type, company_id=company_id)
        self.record = record
        self.field = field


class CodatInconsistentPaging(CodatInvalidResponse):
    """A list's paging envelope contradicts the request or itself: another page than the one
    asked for, a `next` link past the last page its `totalResults` allows, an empty page that
    claims more, a page larger than its `pageSize`."""

    def __init__(
        self,
        message: str,
        *,
        data_type: str | None,
        page: int,
        company_id: str | None = None,
    ) -> None:
        super().__init__(message, data_type=data_type, company_id=company_id)
        self.page = page


class CodatTooManyPages(CodatError):  # noqa: N818 (names fixed by the tree above)
    """A walk through a whole list would need more pages than the hard ceiling allows."""

    def __init__(
        self,
        message: str,
        *,
        data_type: str | None,
        pages: int,
        max_pages: int,
        company_id: str | None = None,
    ) -> None:
        super().__init__(message, company_id=company_id, data_type=data_type)
        self.pages = pages
        self.max_pages = max_pages


class CodatDeadlineExceeded(CodatError):  # noqa: N818 (names fixed by the tree above)
    """A walk through a list was still going when its operation's deadline passed."""

    def __init__(
        self,
        message: str,
        *,
        data_type: str | None,
        seconds: float,
        pages_read: int,
        company_id: str | None = None,
    ) -> None:
        super().__init__(message, company_id=company_id, data_type=data_type)
        self.seconds = seconds
        self.pages_read = pages_read
