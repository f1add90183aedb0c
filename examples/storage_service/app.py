"""A tiny S3-compatible object store whose every request iamd authorizes.

Any S3 client works against it with path-style addressing (boto3, the AWS CLI)::

    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:9000",
                      config=Config(s3={"addressing_style": "path"}))
    s3.put_object(Bucket="photos", Key="cat.jpg", Body=b"...")

The store itself knows nothing about signatures or policies: ``AuthorizeMiddleware``
sends each request's method, path, headers and body hash to iamd's ``/authorize`` with
the action (``s3:GetObject``...), the resource ARN and the bucket's owner account and
bucket policy, and lets it through only when iamd says ``Allow``. The whole integration
is ``protect()`` below.

Run it (the service's own credentials must be allowed ``iamd:Authorize``)::

    IAMD_ENDPOINT=http://127.0.0.1:8080 \\
    STORAGE_ACCESS_KEY_ID=AKIA... STORAGE_SECRET_ACCESS_KEY=... \\
    STORAGE_BUCKETS='{"photos": {"owner": "123456789012"}}' \\
    uvicorn --factory storage_service.app:app_from_env --port 9000
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from iamd.authz.client import AuthorizeClient, Credentials
from iamd.authz.middleware import AuthorizeMiddleware, Routes

XML = "application/xml"


@dataclass
class Bucket:
    owner: str  # the account that owns the bucket and its objects
    policy: str | None = None  # a bucket policy (JSON text), as S3's
    objects: dict[str, bytes] = field(default_factory=dict)


def protect(app: Any, buckets: dict[str, Bucket], client: AuthorizeClient) -> AuthorizeMiddleware:
    """The integration: which action and resource each route is, who owns it."""
    routes = Routes(
        owner=lambda p: buckets[p["bucket"]].owner,
        policy=lambda p: buckets[p["bucket"]].policy,
    )
    routes.add("GET", "/{bucket}", "s3:ListBucket", "arn:aws:s3:::{bucket}")
    routes.add("GET", "/{bucket}/", "s3:ListBucket", "arn:aws:s3:::{bucket}")
    routes.add("PUT", "/{bucket}/{key+}", "s3:PutObject", "arn:aws:s3:::{bucket}/{key}")
    routes.add("GET", "/{bucket}/{key+}", "s3:GetObject", "arn:aws:s3:::{bucket}/{key}")
    routes.add("HEAD", "/{bucket}/{key+}", "s3:GetObject", "arn:aws:s3:::{bucket}/{key}")
    routes.add("DELETE", "/{bucket}/{key+}", "s3:DeleteObject", "arn:aws:s3:::{bucket}/{key}")
    return AuthorizeMiddleware(app, client, routes, public_paths=("/healthz",))


def create_app(buckets: dict[str, Bucket], client: AuthorizeClient) -> AuthorizeMiddleware:
    def bucket_of(request: Request) -> Bucket:
        return buckets[request.path_params["bucket"]]

    async def list_objects(request: Request) -> Response:
        bucket = bucket_of(request)
        prefix = request.query_params.get("prefix", "")
        contents = "".join(
            f"<Contents><Key>{escape(key)}</Key><Size>{len(data)}</Size>"
            f"<ETag>&quot;{hashlib.md5(data).hexdigest()}&quot;</ETag></Contents>"
            for key, data in sorted(bucket.objects.items())
            if key.startswith(prefix)
        )
        name = escape(request.path_params["bucket"])
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"<Name>{name}</Name><Prefix>{escape(prefix)}</Prefix>"
            f"<IsTruncated>false</IsTruncated>{contents}</ListBucketResult>"
        )
        return Response(body, media_type=XML)

    async def put_object(request: Request) -> Response:
        data = await request.body()
        bucket_of(request).objects[request.path_params["key"]] = data
        return Response(headers={"ETag": f'"{hashlib.md5(data).hexdigest()}"'})

    async def get_object(request: Request) -> Response:
        data = bucket_of(request).objects.get(request.path_params["key"])
        if data is None:
            return _no_such_key(request.method)
        headers = {"ETag": f'"{hashlib.md5(data).hexdigest()}"'}
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(data))
            return Response(headers=headers, media_type="application/octet-stream")
        return Response(data, headers=headers, media_type="application/octet-stream")

    async def delete_object(request: Request) -> Response:
        bucket_of(request).objects.pop(request.path_params["key"], None)
        return Response(status_code=204)

    async def health(request: Request) -> Response:
        return Response("ok\n", media_type="text/plain")

    app = Starlette(
        routes=[
            Route("/healthz", health),
            Route("/{bucket}", list_objects, methods=["GET"]),
            Route("/{bucket}/", list_objects, methods=["GET"]),
            Route("/{bucket}/{key:path}", put_object, methods=["PUT"]),
            Route("/{bucket}/{key:path}", get_object, methods=["GET", "HEAD"]),
            Route("/{bucket}/{key:path}", delete_object, methods=["DELETE"]),
        ]
    )
    return protect(app, buckets, client)


def _no_such_key(method: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
        "</Error>"
    )
    return Response(b"" if method == "HEAD" else body, status_code=404, media_type=XML)


def app_from_env() -> AuthorizeMiddleware:
    """uvicorn's factory: the iamd endpoint, the service's credentials, the buckets."""
    buckets = {
        name: Bucket(owner=spec["owner"], policy=spec.get("policy"))
        for name, spec in json.loads(os.environ["STORAGE_BUCKETS"]).items()
    }
    credentials = Credentials(
        os.environ["STORAGE_ACCESS_KEY_ID"],
        os.environ["STORAGE_SECRET_ACCESS_KEY"],
        os.environ.get("STORAGE_SESSION_TOKEN"),
    )
    client = AuthorizeClient(
        os.environ["IAMD_ENDPOINT"], credentials, region=os.environ.get("IAMD_REGION", "us-east-1")
    )
    return create_app(buckets, client)
