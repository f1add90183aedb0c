"""Authorization: a caller, an action and a resource become a policy set and a Decision.

- ``authorizer.py``: ``Authorizer`` (one per process, thread-safe caches) and
  ``BoundAuthorizer`` (one per request; calling it is ``operations.Authorize``).
- ``gather.py``: the caller's policy documents and tags, read from the store.
- ``context.py``: the condition keys AWS supplies (spec 3.1, 3.2).
- ``cache.py``: the LRU behind the compiled-policy and subject caches.
- ``remote.py``: the question a service asks ``POST /authorize``, decided for its client.
- ``client.py`` / ``middleware.py``: what a service runs to ask (standard library and
  botocore only): ``AuthorizeClient`` and an ASGI middleware.
"""

from iamd.authz.authorizer import Authorizer, BoundAuthorizer, Subject

__all__ = ["Authorizer", "BoundAuthorizer", "Subject"]
