"""A forwarding proxy that adds ``Authorization: token ...`` to every request, for clients that
cannot send a header of their own (STILTS ``taplint``, astroquery's ``TapPlus``).

It keeps the ``Host`` header, so the URLs the server writes into its documents (job URLs,
access URLs) point back at the proxy, and it passes redirects through unfollowed.
"""

from __future__ import annotations

import http.client
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

__all__ = ["token_proxy"]

#: Hop-by-hop headers a proxy does not forward.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
     "transfer-encoding", "upgrade"}
)  # fmt: skip


@contextmanager
def token_proxy(target: str, token: str) -> Iterator[str]:
    """Run the proxy in front of ``target`` (``http://127.0.0.1:PORT``) until the block ends;
    yields the proxy's own ``http://127.0.0.1:PORT``."""
    backend = urlsplit(target)

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def _body(self) -> bytes | None:
            """The request body, sent with a length or in chunks (as Java's clients do)."""
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                parts = []
                while (size := int(self.rfile.readline().split(b";")[0].strip(), 16)) > 0:
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()  # the CRLF after each chunk
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else None

        def _forward(self) -> None:
            body = self._body()
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["Authorization"] = f"token {token}"
            connection = http.client.HTTPConnection(
                backend.hostname or "127.0.0.1", backend.port, timeout=300
            )
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
                self.send_response(answer.status, answer.reason)
                for name, value in answer.getheaders():
                    if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            finally:
                connection.close()

        do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = _forward  # noqa: N815  # http.server names

    class Proxy(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            """A client that drops a kept-alive connection (Java does) is no error."""
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)  # type: ignore[arg-type]

    server = Proxy(("127.0.0.1", 0), Forward)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
