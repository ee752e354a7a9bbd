#!/usr/bin/env python3
"""Bucket chores for bench/s3_upload/run.sh, through boto3 (an independent client).

s3_admin.py ENDPOINT create BUCKET       create the bucket unless it exists
s3_admin.py ENDPOINT warm BUCKET N       put and delete N 100 KiB objects (server warm-up)
s3_admin.py ENDPOINT empty BUCKET        delete every object in the bucket
s3_admin.py ENDPOINT count BUCKET        print "<objects> <bytes>" from a ListObjectsV2 walk

Credentials and region come from the environment (run.sh sets them; s3rver: S3RVER/S3RVER).
"""
import os
import sys

import boto3
from botocore.config import Config


def client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5}),
    )


def keys(s3, bucket):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            yield entry


def main():
    endpoint, command, bucket = sys.argv[1:4]
    s3 = client(endpoint)
    if command == "create":
        existing = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
    elif command == "warm":
        body = os.urandom(100 * 1024)
        names = [f"warm/{i:04d}" for i in range(int(sys.argv[4]))]
        for name in names:
            s3.put_object(Bucket=bucket, Key=name, Body=body)
        for name in names:
            s3.delete_object(Bucket=bucket, Key=name)
    elif command == "empty":
        names = [entry["Key"] for entry in keys(s3, bucket)]
        for start in range(0, len(names), 1000):
            batch = names[start : start + 1000]
            answer = s3.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
            )
            for failed in answer.get("Errors", []):  # one by one, as a fallback
                s3.delete_object(Bucket=bucket, Key=failed["Key"])
        if any(True for _ in keys(s3, bucket)):
            sys.exit(f"s3_admin.py: bucket {bucket} is not empty after deleting")
    elif command == "count":
        objects = total = 0
        for entry in keys(s3, bucket):
            objects += 1
            total += entry["Size"]
        print(objects, total)
    else:
        sys.exit(f"s3_admin.py: unknown command {command}")


if __name__ == "__main__":
    main()
