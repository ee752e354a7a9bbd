#!/usr/bin/env python3.11
"""A fault-injecting HTTP proxy, test code, in front of an S3 server (grin-protocol.md 7.5).

  s3_fault_proxy.py --upstream http://127.0.0.1:PORT --log FILE
                    [--fail-part N] [--fail-path-contains TEXT] [--status 500]
                    [--slowdown N] [--fail-complete N]

Forwards every request to the upstream unchanged (method, target, headers, body) and the
answer back, except:
  - UploadPart number N (`PUT ...?partNumber=N&uploadId=...`) of an object whose path
    contains TEXT: answered with --status and an S3 error body (<Code>InjectedFault</Code>),
    every time it is tried;
  - --slowdown N: the first N PUT requests whose path contains TEXT are answered 503
    <Code>SlowDown</Code> (S3's throttling answer);
  - --fail-complete N: the first N CompleteMultipartUpload requests (`POST ...?uploadId=`)
    whose path contains TEXT are answered 500 <Code>InternalError</Code>.
Listens on a free port of 127.0.0.1 and prints `listening on PORT` once ready; every
request is logged to FILE as `METHOD TARGET -> STATUS[ injected]`. Signatures are passed
through untouched (the client signs for the proxy's host: use an upstream that does not
check them, i.e. plain moto).
"""
import argparse
import http.client
import http.server
import sys
import threading
import urllib.parse

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-connection"}


def make_handler(args, log_lock, log):
    upstream = urllib.parse.urlsplit(args.upstream)
    budget = {"slowdown": args.slowdown, "complete": args.fail_complete}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):  # our own log below
            pass

        def record(self, status, note=""):
            with log_lock:
                log.write(f"{self.command} {self.path} -> {status}{note}\n")
                log.flush()

        def injected(self):
            target = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(target.query)
            return (
                self.command == "PUT"
                and args.fail_part is not None
                and query.get("partNumber") == [str(args.fail_part)]
                and "uploadId" in query
                and args.fail_path_contains in target.path
            )

        def counted(self):
            """(status, code) when a --slowdown/--fail-complete budget takes this request."""
            target = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(target.query)
            if args.fail_path_contains not in target.path:
                return None
            with log_lock:
                if self.command == "PUT" and budget["slowdown"] > 0:
                    budget["slowdown"] -= 1
                    return 503, b"SlowDown"
                if self.command == "POST" and "uploadId" in query and budget["complete"] > 0:
                    budget["complete"] -= 1
                    return 500, b"InternalError"
            return None

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, code = args.status, b"InjectedFault"
            counted = self.counted()
            if counted:
                status, code = counted
            if counted or self.injected():
                payload = (
                    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>' + code + b"</Code>"
                    b"<Message>fault injected by s3_fault_proxy.py</Message>"
                    b"<RequestId>proxy</RequestId></Error>"
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.record(status, " injected")
                return
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=120)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
                self.send_response(answer.status, answer.reason)
                for name, value in answer.getheaders():
                    if name.lower() in HOP_BY_HOP or name.lower() == "content-length":
                        continue
                    self.send_header(name, value)
                if self.command == "HEAD":
                    self.send_header("Content-Length", answer.getheader("Content-Length", "0"))
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                self.record(answer.status)
            finally:
                connection.close()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--fail-part", type=int)
    parser.add_argument("--fail-path-contains", default="")
    parser.add_argument("--status", type=int, default=500)
    parser.add_argument("--slowdown", type=int, default=0)
    parser.add_argument("--fail-complete", type=int, default=0)
    args = parser.parse_args()
    with open(args.log, "a", encoding="utf-8") as log:
        handler = make_handler(args, threading.Lock(), log)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        print(f"listening on {server.server_address[1]}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
