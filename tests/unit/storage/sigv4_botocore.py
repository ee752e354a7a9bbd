#!/usr/bin/env python3.11
"""botocore as an independent SigV4 signer for sigv4_botocore_test.cpp.

Reads {"cases": [...]} as JSON on stdin and writes {"results": [...]} as JSON on stdout,
one result per case, in order. A case describes a request the way grin's sigv4_request
does (decoded path and query); botocore does its own encoding, with the helpers its S3
serializer uses (percent_encode(key, safe='/~') for the path, request.params for the
query), and signs with botocore.auth.S3SigV4Auth at the case's fixed time.

Case fields: id, method, scheme, host, port (0 = default), path (decoded), query
([[name, value], ...]), headers ([[name, value], ...], repeated names allowed), body
(UTF-8 text), unsigned_payload (bool), access_key, secret_key, session_token (or null),
region, service, timestamp ("20130524T000000Z").

Result fields: id, authorization, x_amz_date, x_amz_content_sha256,
x_amz_security_token (or null), path (the encoded path botocore put into the URL),
canonical_request, string_to_sign.

Exit status 3 when botocore cannot be imported (the test reports it), 0 otherwise.
"""
import datetime
import json
import sys
from unittest import mock

try:
    import botocore
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
    from botocore.utils import percent_encode
except ImportError as e:  # pragma: no cover - reported by the C++ test
    print(f"botocore is not importable: {e}", file=sys.stderr)
    sys.exit(3)


class RecordingS3SigV4Auth(botocore.auth.S3SigV4Auth):
    """S3SigV4Auth that keeps the canonical request and string to sign it computed."""

    canonical = None
    to_sign = None

    def canonical_request(self, request):
        self.canonical = super().canonical_request(request)
        return self.canonical

    def string_to_sign(self, request, canonical_request):
        self.to_sign = super().string_to_sign(request, canonical_request)
        return self.to_sign


def sign(case):
    host = case["host"]
    if ":" in host:
        host = f"[{host}]"
    if case["port"]:
        host = f"{host}:{case['port']}"
    path = percent_encode(case["path"], safe="/~")
    url = f"{case['scheme']}://{host}{path}"

    request = AWSRequest(
        method=case["method"],
        url=url,
        data=case["body"].encode("utf-8"),
        params=[(name, value) for name, value in case["query"]],
    )
    for name, value in case["headers"]:
        request.headers[name] = value  # HTTPHeaders appends: repeated names stay repeated
    if case["unsigned_payload"]:
        request.context["client_config"] = Config(
            s3={"payload_signing_enabled": False}
        )

    credentials = Credentials(
        case["access_key"], case["secret_key"], case.get("session_token")
    )
    auth = RecordingS3SigV4Auth(credentials, case["service"], case["region"])
    when = datetime.datetime.strptime(case["timestamp"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc
    )
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        auth.add_auth(request)

    return {
        "id": case["id"],
        "authorization": request.headers["Authorization"],
        "x_amz_date": request.headers["X-Amz-Date"],
        "x_amz_content_sha256": request.headers["X-Amz-Content-SHA256"],
        "x_amz_security_token": request.headers.get("X-Amz-Security-Token"),
        "path": path,
        "canonical_request": auth.canonical,
        "string_to_sign": auth.to_sign,
    }


def main():
    cases = json.load(sys.stdin)["cases"]
    results = [sign(case) for case in cases]
    json.dump(
        {"botocore_version": botocore.__version__, "results": results},
        sys.stdout,
        ensure_ascii=True,
    )


if __name__ == "__main__":
    main()
