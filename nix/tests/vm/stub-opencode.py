"""Stand-in for `opencode serve` in the VM tests.

The VM tests check the module's wiring (users, units, sandbox, environment, config link,
egress policy), not opencode itself, which needs provider keys and network to be useful.
This stub accepts the same command line, serves HTTP on --hostname/--port and answers
probes that run *inside* the sandboxed unit:

  GET /info                      JSON: uid, user, cwd, HOME, environment, argv
  GET /read?path=P               200 + content, or 403 + the OS error
  GET /write?path=P              200 if P could be written, else 403 + the OS error
  GET /connect?host=H&port=N     200 if a TCP connection to H:N succeeded within 2 s, else 502
  GET /unix?path=P               200 if a connection to the Unix socket P succeeded, else 502
  GET /bind?port=N               200 if a TCP socket could be bound to port N, else 403
  GET /run?argv=a&argv=b         runs argv, 200 + stdout if it exited 0, else 500 + stderr
"""

import argparse
import json
import os
import pwd
import socket
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def parse_args(argv):
    p = argparse.ArgumentParser(prog="opencode")
    p.add_argument("command")
    p.add_argument("--hostname", default="127.0.0.1")
    p.add_argument("--port", type=int, default=4096)
    p.add_argument("--print-logs", action="store_true")
    p.add_argument("--log-level")
    args, _extra = p.parse_known_args(argv)
    return args


class Handler(BaseHTTPRequestHandler):
    def reply(self, code, body):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        try:
            if url.path == "/info":
                self.reply(200, json.dumps({
                    "uid": os.getuid(),
                    "user": pwd.getpwuid(os.getuid()).pw_name,
                    "cwd": os.getcwd(),
                    "home": os.environ.get("HOME"),
                    "env": dict(os.environ),
                    "argv": sys.argv,
                }))
            elif url.path == "/read":
                with open(q["path"][0], "rb") as f:
                    self.reply(200, f.read())
            elif url.path == "/write":
                with open(q["path"][0], "w") as f:
                    f.write("written by the stub\n")
                self.reply(200, "written")
            elif url.path == "/connect":
                host, port = q["host"][0], int(q["port"][0])
                with socket.create_connection((host, port), timeout=2):
                    self.reply(200, "connected")
            elif url.path == "/unix":
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(q["path"][0])
                s.close()
                self.reply(200, "connected")
            elif url.path == "/bind":
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    s.bind(("127.0.0.1", int(q["port"][0])))
                finally:
                    s.close()
                self.reply(200, "bound")
            elif url.path == "/run":
                r = subprocess.run(q["argv"], capture_output=True, text=True, timeout=30)
                self.reply(200 if r.returncode == 0 else 500, r.stdout if r.returncode == 0 else r.stderr)
            else:
                self.reply(404, "unknown probe")
        except PermissionError as e:
            self.reply(403, str(e))
        except OSError as e:
            self.reply(403 if url.path in ("/read", "/write", "/bind") else 502, str(e))


def main():
    args = parse_args(sys.argv[1:])
    if args.command != "serve":
        sys.exit("stub: only 'serve' is implemented")
    family = socket.AF_INET6 if ":" in args.hostname else socket.AF_INET
    ThreadingHTTPServer.address_family = family
    server = ThreadingHTTPServer((args.hostname, args.port), Handler)
    print("stub opencode listening on %s:%d" % (args.hostname, args.port), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
