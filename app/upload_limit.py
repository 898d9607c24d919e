"""Refuse a request body far over the upload limit before it is read, parsed or stored.

The routes read an uploaded file up to the limit and one byte more, and say so beside the
field; this middleware stops anything bigger than the limit plus room for the form's other
fields, by its Content-Length or, when it is streamed without one, as soon as it passes it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FORM_ROOM = 1_000_000  # bytes allowed beyond the file limit for the other fields and framing


class _TooLarge(Exception):
    """The body passed the limit while it was being received."""


class BodyLimit:
    """Pure ASGI middleware: 413 with a clear message for a request body over `max_bytes`."""

    def __init__(self, app: ASGIApp, file_limit: int) -> None:
        self.app = app
        self.file_limit = file_limit
        self.max_bytes = file_limit + FORM_ROOM

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received, too_large, started = 0, False, False

        async def counted() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if too_large and not started:  # whatever the app makes of a cut-off body: 413
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            pass
        if too_large and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        from fastapi.responses import JSONResponse
        from starlette.requests import Request

        from app.web import render

        detail = (f"The upload is over the limit of {self.file_limit:,} bytes, so it was not read: "
                  "split the transcript into smaller files, or ask your administrator to raise "
                  "MIFI_MAX_UPLOAD_MB.")
        if scope["path"].startswith("/api"):
            response = JSONResponse({"detail": detail}, status_code=413)
        else:
            response = render(Request(scope, receive), "error.html",
                              {"status": 413, "title": "File too large", "detail": detail},
                              status_code=413)
        await response(scope, receive, send)
