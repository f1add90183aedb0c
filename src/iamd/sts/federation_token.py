"""GetFederationToken (spec 4.8): a federated-user session for an IAM user's broker.

Long-term IAM user credentials only (session credentials: AccessDenied ``Cannot call
GetFederationToken with session credentials``; iamd also refuses the root user, which AWS
discourages, because a federated session of the root would have no policies to
intersect). Authorized as ``sts:GetFederationToken`` on
``arn:aws:sts::ACCOUNT:federated-user/NAME``, plus ``sts:TagSession`` when tags are passed.

The session's permissions are the user's policies intersected with the session policies
passed (``Policy``, ``PolicyArns`` of the user's account): with none passed the session may
do nothing (its policy set has an empty session level), except what a resource policy
grants to the federated user's ARN. Session tags override the user's tags with the same
key; none are transitive. Federated credentials cannot call IAM, and in STS only
GetCallerIdentity.
"""

from __future__ import annotations

from iamd.errors import AccessDenied
from iamd.model.arn import federated_user_arn
from iamd.model.caller import CallerKind
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.sts import session_policies
from iamd.sts.credentials import issue, refuse_session_credentials, times
from iamd.sts.tags import passed_tags, request_context
from iamd.sts.tokens import SessionClaims, SessionKind

DEFAULT_DURATION = 43200


@operation("sts", "GetFederationToken", authorize=False)
def get_federation_token(ctx: OperationContext, params: Params) -> Result:
    caller = ctx.caller
    name: str = params["Name"]
    refuse_session_credentials(ctx, "GetFederationToken")
    arn = federated_user_arn(ctx.account_id, name)
    target = Target(arn, account=ctx.account_id)
    if caller.kind is not CallerKind.USER:
        raise AccessDenied(
            f"User: {caller.arn} is not authorized to perform: sts:GetFederationToken on "
            f"resource: {arn}"
        )
    tags = passed_tags(params.get("Tags"))
    context = request_context(tags, [])
    ctx.authorize("sts:GetFederationToken", target, context)
    if tags:
        ctx.authorize("sts:TagSession", target, context)
    policies = session_policies.session_policies(
        ctx.db, ctx.account_id, params.get("Policy"), params.get("PolicyArns")
    )
    packed = session_policies.check_packed(policies.texts, tags)
    issued, expires = times(ctx, int(params.get("DurationSeconds") or DEFAULT_DURATION))
    claims = SessionClaims(
        kind=SessionKind.FEDERATED_USER,
        account_id=ctx.account_id,
        principal_id=caller.entity_id or caller.user_id,
        principal_arn=caller.arn,
        name=name,
        issued_at=issued,
        expires_at=expires,
        secret="",
        policies=policies.texts,
        has_policy=True,  # no policy passed: a session that may do nothing
        tags=tags,
    )
    # Unlike AssumeRole, GetFederationToken reports PackedPolicySize even when nothing was
    # packed (0), as AWS answers.
    return {
        "Credentials": issue(ctx, claims).as_output(),
        "FederatedUser": {"FederatedUserId": f"{ctx.account_id}:{name}", "Arn": arn},
        "PackedPolicySize": packed,
    }
