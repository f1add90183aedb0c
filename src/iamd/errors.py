"""The one hierarchy of AWS errors that iamd returns.

Every error a client can see is a subclass of ServiceError with the AWS error code, the
HTTP status and whether the fault is the sender's (Type ``Sender``) or ours (``Receiver``).
Operations raise these; only the wire layer renders them. Lower layers raise narrow errors
of their own (``PolicyError`` in ``iamd.policy`` for example) that are translated to one of
these exactly once.
"""

from __future__ import annotations

from typing import ClassVar


class ServiceError(Exception):
    """An error with an AWS error code, rendered by the wire layer as an ErrorResponse."""

    code: ClassVar[str] = "InternalFailure"
    http_status: ClassVar[int] = 500
    sender_fault: ClassVar[bool] = False
    default_message: ClassVar[str] = ""

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class _SenderError(ServiceError):
    http_status = 400
    sender_fault = True


class InternalFailure(ServiceError):
    code = "InternalFailure"
    http_status = 500
    default_message = (
        "An internal error occurred; the request id identifies it in the server's log."
    )


class ServiceUnavailable(ServiceError):
    code = "ServiceUnavailable"
    http_status = 503
    default_message = "The service is unavailable. Please try again later."


class ValidationError(_SenderError):
    code = "ValidationError"


class InvalidAction(_SenderError):
    code = "InvalidAction"


class MissingAction(_SenderError):
    code = "MissingAction"
    default_message = "Missing Action"


class MissingParameter(_SenderError):
    code = "MissingParameter"


class InvalidParameterValue(_SenderError):
    code = "InvalidParameterValue"


class InvalidParameterCombination(_SenderError):
    code = "InvalidParameterCombination"


class InvalidInput(_SenderError):
    code = "InvalidInput"


class MalformedPolicyDocument(_SenderError):
    code = "MalformedPolicyDocument"


class PackedPolicyTooLarge(_SenderError):
    code = "PackedPolicyTooLarge"


class LimitExceeded(_SenderError):
    code = "LimitExceeded"
    http_status = 409


class EntityAlreadyExists(_SenderError):
    code = "EntityAlreadyExists"
    http_status = 409


class DeleteConflict(_SenderError):
    code = "DeleteConflict"
    http_status = 409


class NoSuchEntity(_SenderError):
    code = "NoSuchEntity"
    http_status = 404


class PolicyNotAttachable(_SenderError):
    code = "PolicyNotAttachable"


class UnmodifiableEntity(_SenderError):
    code = "UnmodifiableEntity"


class ConcurrentModification(_SenderError):
    code = "ConcurrentModification"
    http_status = 409


class AccessDenied(_SenderError):
    code = "AccessDenied"
    http_status = 403


class InvalidAuthenticationCode(_SenderError):
    """IAM's error for MFA codes that do not fit (Enable/ResyncMFADevice)."""

    code = "InvalidAuthenticationCode"
    http_status = 403
    default_message = "Authentication code for device is not valid."


class IncompleteSignature(_SenderError):
    code = "IncompleteSignature"


class MissingAuthenticationToken(_SenderError):
    code = "MissingAuthenticationToken"
    http_status = 403
    default_message = "Request is missing Authentication Token"


class InvalidClientTokenId(_SenderError):
    code = "InvalidClientTokenId"
    http_status = 403
    default_message = "The security token included in the request is invalid."


class SignatureDoesNotMatch(_SenderError):
    code = "SignatureDoesNotMatch"
    http_status = 403
    default_message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details."
    )


class ExpiredToken(_SenderError):
    code = "ExpiredToken"
    http_status = 403
    default_message = "The security token included in the request is expired"


class ExpiredTokenException(_SenderError):
    """The web identity token or SAML assertion passed in has expired (not the caller's)."""

    code = "ExpiredTokenException"


class InvalidIdentityToken(_SenderError):
    code = "InvalidIdentityToken"


class IDPRejectedClaim(_SenderError):
    code = "IDPRejectedClaim"
    http_status = 403


class IDPCommunicationError(_SenderError):
    code = "IDPCommunicationError"


class InvalidAuthorizationMessageException(_SenderError):
    code = "InvalidAuthorizationMessageException"


class MalformedQueryString(_SenderError):
    code = "MalformedQueryString"
    http_status = 404


# --- a user's other credentials: SSH keys, certificates, passwords ---------------------


class InvalidPublicKey(_SenderError):
    code = "InvalidPublicKey"


class UnrecognizedPublicKeyEncoding(_SenderError):
    code = "UnrecognizedPublicKeyEncoding"


class DuplicateSSHPublicKey(_SenderError):
    code = "DuplicateSSHPublicKey"


class MalformedCertificate(_SenderError):
    code = "MalformedCertificate"


class InvalidCertificate(_SenderError):
    code = "InvalidCertificate"


class DuplicateCertificate(_SenderError):
    code = "DuplicateCertificate"
    http_status = 409


class PasswordPolicyViolation(_SenderError):
    code = "PasswordPolicyViolation"


class InvalidUserType(_SenderError):
    code = "InvalidUserType"


class KeyPairMismatch(_SenderError):
    code = "KeyPairMismatch"


class ReportNotPresent(_SenderError):
    code = "ReportNotPresent"
    http_status = 410
    default_message = (
        "Credential report does not exist. Use GenerateCredentialReport to generate a "
        "credential report."
    )


class ReportExpired(_SenderError):
    code = "ReportExpired"
    http_status = 410
    default_message = (
        "Credential report has expired. Use GenerateCredentialReport to generate a new "
        "credential report."
    )


class OrganizationNotFound(_SenderError):
    code = "OrganizationNotFoundException"
    default_message = (
        "The request was rejected because no organization is associated with your account."
    )


class FeatureDisabled(_SenderError):
    code = "FeatureDisabled"
    http_status = 404
    default_message = "Outbound identity federation is disabled for your AWS account."


# --- JSON protocols (IAM Roles Anywhere) ------------------------------------------------


class SerializationException(_SenderError):
    """A REST-JSON request body that is not a JSON object."""

    code = "SerializationException"


class UnknownOperationException(_SenderError):
    """No operation of a REST service answers this method and path."""

    code = "UnknownOperationException"
    http_status = 404
    default_message = "The requested operation is not recognized by the service."


class TooManyTagsException(_SenderError):
    code = "TooManyTagsException"
