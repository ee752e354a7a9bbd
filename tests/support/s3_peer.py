#!/usr/bin/env python3.11
"""An independent S3 client (boto3) for the S3 test servers (tests/support/s3_servers.hpp).

Every command prints one JSON document on stdout; errors go to stderr with exit code 1.
Endpoint and keys come from the options (never from the test's environment):

  s3_peer.py --endpoint URL --key K --secret S make-user
      moto started with INITIAL_NO_AUTH_ACTION_COUNT: creates an IAM user allowed
      everything and prints its key pair {"access_key": ..., "secret_key": ...}. Takes
      three requests (create_user, put_user_policy, create_access_key), all unauthenticated.
  ... create-buckets B...                   -> {"created": [...]}
  ... inventory [--hash] [--head] B...      -> {B: {key: {"size", "etag", "last_modified",
                                                 ["sha256"], ["metadata"]}}}
  ... multipart-uploads B...                -> {B: [{"key", "upload_id"}]}
  ... get B KEY FILE [--gunzip]              -> {"size": n} (of FILE)

Listing uses ListObjectsV2 without prefix or delimiter: signature-checking moto refuses a
correct signature when a query value contains '/'.
"""
import argparse
import gzip
import hashlib
import json
import os
import sys

import boto3
from botocore.config import Config


def client(args, service="s3"):
    # s3rver stores aws-chunked framing as the object's bytes: only compute request
    # checksums when an operation requires them (toolchain.md 3b).
    os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
    os.environ.setdefault("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    return boto3.client(
        service,
        endpoint_url=args.endpoint,
        region_name="us-east-1",
        aws_access_key_id=args.key,
        aws_secret_access_key=args.secret,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=10,
            read_timeout=60,
        ),
    )


def make_user(args):
    iam = client(args, "iam")
    iam.create_user(UserName="grin-test")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    iam.put_user_policy(
        UserName="grin-test", PolicyName="everything", PolicyDocument=json.dumps(policy)
    )
    key = iam.create_access_key(UserName="grin-test")["AccessKey"]
    return {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}


def create_buckets(args):
    s3 = client(args)
    for bucket in args.buckets:
        s3.create_bucket(Bucket=bucket)
    return {"created": args.buckets}


def inventory(args):
    s3 = client(args)
    out = {}
    for bucket in args.buckets:
        objects = {}
        token = None
        while True:
            request = {"Bucket": bucket}
            if token:
                request["ContinuationToken"] = token
            page = s3.list_objects_v2(**request)
            for entry in page.get("Contents", []):
                objects[entry["Key"]] = {
                    "size": entry["Size"],
                    "etag": entry["ETag"],
                    "last_modified": entry["LastModified"].isoformat(),
                }
            if not page.get("IsTruncated"):
                break
            token = page["NextContinuationToken"]
        for key, entry in objects.items():
            if args.hash:
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                entry["sha256"] = hashlib.sha256(body).hexdigest()
                entry["downloaded"] = len(body)
            if args.head:
                head = s3.head_object(Bucket=bucket, Key=key)
                entry["metadata"] = head.get("Metadata", {})
                entry["head_etag"] = head["ETag"]
                entry["head_last_modified"] = head["LastModified"].isoformat()
        out[bucket] = objects
    return out


def multipart_uploads(args):
    s3 = client(args)
    out = {}
    for bucket in args.buckets:
        answer = s3.list_multipart_uploads(Bucket=bucket)
        out[bucket] = [
            {"key": upload["Key"], "upload_id": upload["UploadId"]}
            for upload in answer.get("Uploads", [])
        ]
    return out


def get(args):
    s3 = client(args)
    body = s3.get_object(Bucket=args.bucket, Key=args.object_key)["Body"].read()
    if args.gunzip:
        body = gzip.decompress(body)
    with open(args.file, "wb") as out:
        out.write(body)
    return {"size": len(body)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--key", default="test")
    parser.add_argument("--secret", default="test")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("make-user").set_defaults(run=make_user)
    sub = commands.add_parser("create-buckets")
    sub.add_argument("buckets", nargs="+")
    sub.set_defaults(run=create_buckets)
    sub = commands.add_parser("inventory")
    sub.add_argument("--hash", action="store_true")
    sub.add_argument("--head", action="store_true")
    sub.add_argument("buckets", nargs="+")
    sub.set_defaults(run=inventory)
    sub = commands.add_parser("multipart-uploads")
    sub.add_argument("buckets", nargs="+")
    sub.set_defaults(run=multipart_uploads)
    sub = commands.add_parser("get")
    sub.add_argument("bucket")
    sub.add_argument("object_key")  # not "key": that is --key, the access key
    sub.add_argument("file")
    sub.add_argument("--gunzip", action="store_true")
    sub.set_defaults(run=get)
    args = parser.parse_args()
    try:
        result = args.run(args)
    except Exception as failure:  # noqa: BLE001 - reported to the test as text
        print(f"s3_peer.py {args.command}: {type(failure).__name__}: {failure}", file=sys.stderr)
        return 1
    json.dump(result, sys.stdout, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
