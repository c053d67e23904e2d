"""The smallest WSGI application, served by ``bench.middleware_cpu --floor`` as the portal is:
what gunicorn (its sync worker, the HTTP parsing, the access log, the connection's accept and
close) costs per request by itself, with no Django and no database."""

BODY = b"ok\n"


def application(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]
