"""gzip for pages and JSON: the day board is ~770 KB of HTML but ~75 KB compressed.

A reverse proxy usually does this; the app does it too so that ``hah serve`` on a hub PC
and a nurse's phone on a poor signal get small responses without one. Static files are left
to the proxy/browser cache (Werkzeug streams them). Compressing pages that carry a secret
(the CSRF token) next to text an attacker may reflect invites BREACH; the token is
therefore masked afresh in every response (``web.security.csrf_token``), so compression
cannot leak it.
"""

from __future__ import annotations

import gzip

from flask import Flask, request

COMPRESSIBLE = ("text/html", "application/json", "text/calendar", "text/csv", "image/svg+xml")
MIN_BYTES = 1024


def init_compression(app: Flask) -> None:
    @app.after_request
    def _gzip(response):
        if (
            response.direct_passthrough
            or response.status_code < 200
            or response.status_code >= 300
            or "Content-Encoding" in response.headers
            or "gzip" not in request.headers.get("Accept-Encoding", "").lower()
            or not (response.mimetype or "").startswith(COMPRESSIBLE)
        ):
            return response
        body = response.get_data()
        if len(body) < MIN_BYTES:
            return response
        response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response
