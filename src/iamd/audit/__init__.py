"""The audit trail: one CloudTrail-shaped event for every request iamd answers.

::

    server/pipeline ──> Facts (who, what, when, from where, params, result or error)
        ──> event.draft: what needs the request (identity.user_identity, redact.clean)
        ──> recorder.Recorder
              a committed write: composed (event.compose, the CloudTrail record) and
              appended in the write's own transaction (``in_transaction``)
              anything else: queued (``submit``), then under ``iamd serve`` shipped
              (shipping) to the storing process (server/audit_storer), whose recorder
              composes and appends them in batches; without it, the worker's event
              loop does; every event to the JSON-lines sink when one is set
        ──> store/audit_events ──> LookupEvents (cloudtrail), ``iamd audit``, access advisor

Nothing secret reaches a record: ``redact`` removes every member botocore's models mark
sensitive and every credential iamd knows by name, in parameters and results alike.
"""
