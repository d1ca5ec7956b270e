"""One HTTP request through Balie's ASGI application, as uvicorn makes it, for the tests that
judge what the server itself answers (outside Django's test client)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from config.asgi import application


async def request(
    body: bytes,
    *,
    token: str | None = None,
    path: str,
    method: str = "POST",
    query: str = "",
    host: str = "testserver",
    content_type: str = "message/rfc822",
    language: str = "",
    chunks: int = 1,
    declared: int | None = None,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> tuple[int, dict[str, str], bytes]:
    """One request through the ASGI application, the body in `chunks` pieces."""
    sent_headers = [(b"host", host.encode()), *headers]
    if content_type:
        sent_headers.append((b"content-type", content_type.encode()))
    sent_headers.append(
        (b"content-length", str(len(body) if declared is None else declared).encode())
    )
    if token:
        sent_headers.append((b"authorization", f"Bearer {token}".encode()))
    if language:
        sent_headers.append((b"accept-language", language.encode()))
    size = max(1, -(-len(body) // chunks))
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    incoming = [
        {"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1}
        for i, piece in enumerate(pieces)
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        if incoming:
            return incoming.pop(0)
        await asyncio.Event().wait()  # the client stays connected until it has the answer
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": sent_headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    await application(scope, receive, send)
    start = sent[0]
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, b"".join(m.get("body", b"") for m in sent[1:])
