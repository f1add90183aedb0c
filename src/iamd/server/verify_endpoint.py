"""``POST /verify-credential``: a service of one's own checks an SSH key or a
service-specific password that a client presented, and learns the IAM user it belongs to.
::
    body (capped) ──> the service's own SigV4 (signing name ``iamd``)   else 4xx JSON error
    ──> JSON: {"sshPublicKeyId", "sshPublicKey"} or
              {"serviceName", "serviceUserName", "servicePassword"}    else 400
    ──> iam.credential_checks ──> the user, or nothing
    ──> the service may ``iamd:VerifyCredential`` on that user (a registered service
        always may)                                                   else 403
    ──> 200 {"verified": true, "user": {...}} or {"verified": false}

A wrong key, a wrong password, an unknown or Inactive credential all answer the same
``{"verified": false}``: the service learns nothing else about the credential.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import Connection

from iamd.auth import HttpRequest, SigV4Verifier, detect_auth
from iamd.authz import remote
from iamd.errors import InternalFailure, MissingAuthenticationToken, ServiceError, ValidationError
from iamd.iam.credential_checks import VerifiedUser, check_service_password, check_ssh_key
from iamd.model import json_text
from iamd.model.caller import CallerKind
from iamd.operations import RequestInfo, Target
from iamd.server import forms
from iamd.server.authorize_endpoint import JSON_TYPE, Receive, Scope, Send
from iamd.server.errors import MethodNotAllowed
from iamd.server.pipeline import Exchange
from iamd.server.runtime import Runtime

log = logging.getLogger("iamd.server")
VERIFY_ACTION = "iamd:VerifyCredential"
_MAX_FIELD = 16_384


def _fields(body: bytes) -> dict[str, str]:
    try:
        data = json_text.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("The request body is not valid JSON.") from None
    if not isinstance(data, dict) or not all(
        isinstance(v, str) and len(v) <= _MAX_FIELD for v in data.values()
    ):
        raise ValidationError("The request body must be a JSON object of strings.")
    ssh = {"sshPublicKeyId", "sshPublicKey"}
    password = {"serviceName", "serviceUserName", "servicePassword"}
    if set(data) not in (ssh, password):
        raise ValidationError(
            "Give sshPublicKeyId and sshPublicKey, or serviceName, serviceUserName and "
            "servicePassword."
        )
    return data


def _check(conn: Connection, fields: dict[str, str]) -> VerifiedUser | None:
    if "sshPublicKeyId" in fields:
        return check_ssh_key(conn, fields["sshPublicKeyId"], fields["sshPublicKey"])
    return check_service_password(
        conn, fields["serviceName"], fields["serviceUserName"], fields["servicePassword"]
    )


class VerifyEndpoint:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id: str = scope["iamd.request_id"]
        exchange = scope["iamd.exchange"] = Exchange(request_id, "iamd", "VerifyCredential")
        try:
            status, payload = 200, await self._respond(scope, receive)
        except ServiceError as exc:
            status, payload = exc.http_status, remote.error_body(exc, request_id)
            exchange.outcome = exc.code
        except Exception:  # the one place that turns every failure into a response
            log.exception("request %s (/verify-credential) failed", request_id)
            status, payload = 500, remote.error_body(InternalFailure(), request_id)
            exchange.outcome = InternalFailure.code
        payload.setdefault("requestId", request_id)
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        headers = [
            (b"content-type", JSON_TYPE),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"x-amzn-requestid", request_id.encode("ascii")),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _respond(self, scope: Scope, receive: Receive) -> dict[str, Any]:
        if scope["method"] != "POST":
            raise MethodNotAllowed(f"The method {scope['method']} is not allowed; use POST.")
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
        length = next((v for k, v in headers if k.lower() == "content-length"), None)
        body = await forms.read_body(length, receive, self.runtime.max_body_bytes)
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        http = HttpRequest(
            "POST",
            raw_path.decode("latin-1").partition("?")[0],
            scope.get("query_string", b"").decode("latin-1"),
            headers,
            body,
        )
        if not detect_auth(http):
            raise MissingAuthenticationToken()
        client = scope.get("client")
        rt = self.runtime

        def run(conn: Connection) -> dict[str, Any]:
            now = rt.clock.now()
            verified = SigV4Verifier(
                rt.credentials.bind(conn), (remote.SIGNING_NAME,), key_cache=rt.key_cache
            ).verify(http, now)
            service = verified.principal
            fields = _fields(http.body)
            found = _check(conn, fields)
            if service.caller.kind is not CallerKind.SERVICE:
                info = RequestInfo(
                    client[0] if client else "127.0.0.1",
                    scope.get("scheme") == "https",
                    next((v for k, v in headers if k.lower() == "user-agent"), ""),
                    verified.region,
                )
                asker = rt.authorizer.bind(conn, service.caller, info, now, counter=service.counter)
                target = found.user.arn if found is not None else "*"
                asker.authorize(VERIFY_ACTION, Target(target))
            if found is None:
                return {"verified": False}
            user = found.user
            return {
                "verified": True,
                "credentialId": found.credential_id,
                "user": {
                    "userName": user.name,
                    "userId": user.user_id,
                    "arn": user.arn,
                    "accountId": user.account_id,
                },
            }

        result: dict[str, Any] = rt.database.run(False, run)
        return result
