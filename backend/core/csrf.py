"""CSRF protection (double-submit): cookie-authenticated writes must echo the csrf cookie in a header.

Every page carries the token in `hx-headers` and a meta tag, so htmx requests and our scripts send it.
Requests authenticated by an API key carry no ambient credentials and are exempt.
Unsafe requests with a form-like body are checked even without a session (login CSRF).
"""

from __future__ import annotations

import re
import secrets
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "mf_csrf"
CSRF_HEADER = b"x-csrf-token"
SAFE = {"GET", "HEAD", "OPTIONS", "TRACE"}
# The Edge Impulse-compatible ingestion routes authenticate by x-api-key only and ignore cookies, so a
# forged request has nothing to ride on; a request there without a key must get their own 401, not ours.
HEADER_ONLY_PATHS = re.compile(r"^/api/(training|testing|anomaly|split)/(files|data)$")


class CSRFMiddleware:
    def __init__(self, app: ASGIApp, *, secure: bool = False) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        cookies = SimpleCookie()
        cookies.load(headers.get(b"cookie", b"").decode("latin-1"))
        token = cookies[CSRF_COOKIE].value if CSRF_COOKIE in cookies else None
        has_session = "mf_session" in cookies
        api_auth = b"x-api-key" in headers or headers.get(b"authorization", b"").lower().startswith(
            b"bearer "
        )
        # Cross-site pages can only send form-like bodies without a preflight, so those always need the token;
        # JSON requests need it when a session cookie would authenticate them.
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        ambient = has_session or ctype != b"application/json"
        header_only = HEADER_ONLY_PATHS.match(scope["path"]) is not None
        if scope["method"] not in SAFE and ambient and not api_auth and not header_only:
            sent = headers.get(CSRF_HEADER, b"").decode("latin-1")
            if not token or not secrets.compare_digest(sent, token):
                await _reject(send)
                return
        new_token = None
        if token is None:
            token = new_token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = token

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and new_token:
                flags = "Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")
                message.setdefault("headers", []).append(
                    (b"set-cookie", f"{CSRF_COOKIE}={new_token}; {flags}".encode())
                )
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def _reject(send: Send) -> None:
    body = b'{"error":{"code":"csrf_failed","message":"Missing or wrong CSRF token; reload the page and try again.","details":null}}'
    await send(
        {"type": "http.response.start", "status": 403, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": body})
