#!/usr/bin/env python3
# squid_httpd.py - the origin servers behind the proxy in tests/e2e/squid.sh:
# one small HTTP/1.1 server listening on the same port on each address
# given (the "foreign" and "domestic" destinations, all on loopback).
#   GET  /dl?size=N   answers N bytes of "x"
#   POST or PUT       reads the whole body, answers "got N\n"
# The port (chosen by the kernel for the first address) is written to
# PORTFILE once every address listens. Runs until killed.
#   squid_httpd.py PORTFILE ADDR [ADDR ...]
import http.server
import os
import sys
import threading
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the test reads Squid's log
        pass

    def reply(self, body, ctype="text/plain"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        size = int(query.get("size", ["100"])[0])
        self.reply(b"x" * size, "application/octet-stream")

    def upload(self):
        left = int(self.headers.get("Content-Length", "0"))
        got = 0
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            got += len(chunk)
            left -= len(chunk)
        self.reply(("got %d\n" % got).encode())

    do_POST = upload
    do_PUT = upload


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    portfile, addrs = sys.argv[1], sys.argv[2:]
    port = 0
    servers = []
    for addr in addrs:
        srv = Server((addr, port), Handler)
        port = srv.server_address[1]
        servers.append(srv)
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, portfile)
    threading.Event().wait()


if __name__ == "__main__":
    main()
