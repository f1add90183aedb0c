"""IAM Roles Anywhere: workloads outside AWS trade an X.509 certificate for a role session.

The ``rolesanywhere`` API (REST-JSON, ``protocol.rest_json``) with its operations
registered like IAM's, authorized with ``rolesanywhere:*`` actions by the same engine:

- ``trust_anchors``: the CAs an account trusts (source type CERTIFICATE_BUNDLE: a PEM
  bundle, parsed and checked by ``certificates``; AWS_ACM_PCA and SELF_SIGNED_REPOSITORY
  need AWS Private CA, which iamd does not have);
- ``profiles``: which roles a session may assume and what limits it (session policy,
  managed policies, duration, whether a role session name may be passed), and which
  certificate attributes become session tags (``mappings``);
- ``crls``: certificate revocation lists of a trust anchor, checked by CreateSession;
- ``tagging``: TagResource, UntagResource, ListTagsForResource on all three;
- ``subjects``: the certificate identities CreateSession has given sessions to;
- ``sessions``: CreateSession, ``POST /sessions``, signed with the certificate's key
  (``auth.x509``): the chain to an enabled anchor, the profile, the role's trust policy
  for ``rolesanywhere.amazonaws.com``, then sts/'s ordinary session minting.

``resources`` holds what the operations share: ARNs, identifiers, lookups, pagination.
"""
