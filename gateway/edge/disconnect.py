"""Work stops when nobody waits (HTTP): a client that disconnects cancels its request's work.

ASGI servers do not cancel a request's handler when its client goes away; uvicorn only answers
`http.disconnect` to the next `receive()`. `until_disconnect` runs the handler as a task with its
own `RequestWork` (gateway/reads/work.py), listens on the connection meanwhile, and when the
client has
gone before the answer was sent, cancels the handler and every task it set waiting on upstream
fetches (DataLoader batches included): the shared fetches nobody else waits for stop with them.

Mutations are left to finish: a write cut halfway would leave its idempotency claim held and its
outcome unknown to everyone, while a finished one is replayed to the client's retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import orjson
from graphql import OperationType
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.edge.asgi import replay
from gateway.edge.documents import scan_document
from gateway.reads.work import request_work

log = logging.getLogger("gateway.edge.disconnect")


async def until_disconnect(
    app: ASGIApp, scope: Scope, body: bytes, receive: Receive, send: Send, *, cancellable: bool
) -> None:
    """Run `app` on the request (its body already read) until it answers or the client leaves."""
    answered = False

    async def sending(message: Message) -> None:
        nonlocal answered
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            answered = True
        await send(message)

    async def handle() -> None:
        await app(scope, replay(body), sending)

    with request_work() as work:
        task = asyncio.create_task(handle())
    if not cancellable:
        await task
        return
    listener = asyncio.create_task(_disconnected(receive))
    try:
        done, _ = await asyncio.wait({task, listener}, return_when=asyncio.FIRST_COMPLETED)
        if task not in done and not answered:
            log.info("client disconnected: cancelling its request's work")
            task.cancel()
            work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        listener.cancel()
        if not task.done():  # this request itself was cancelled (server shutdown)
            task.cancel()
            work.cancel()


async def _disconnected(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


def writes(scope: Scope, body: bytes) -> bool:
    """Whether the request may run a mutation (multipart uploads, or a `mutation` operation in
    the body, a batch's included), by a scan bounded in tokens (gateway/edge/documents.py)."""
    if scope["method"] != "POST":
        return False  # GET runs queries only
    for name, value in scope.get("headers", ()):
        if name == b"content-type" and b"multipart/" in value:
            return True
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    for item in payload if isinstance(payload, list) else [payload]:
        query = item.get("query") if isinstance(item, dict) else None
        if not isinstance(query, str):
            continue
        scan = scan_document(query, SCAN_TOKENS)
        if OperationType.MUTATION in scan.operations.values() or scan.too_many:
            return True  # (a document too long to tell is refused before it runs anyway)
    return False


SCAN_TOKENS = 3_000
"""Enough for any document the default GATEWAY_MAX_TOKENS accepts; a longer one counts as a
possible write (never cancelled), which errs on the safe side."""
