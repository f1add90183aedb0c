"""The audit trail: one CloudTrail-shaped event for every request iamd answers.

::

    server/pipeline ──> Facts (who, what, when, from where, params, result or error)
        ──> event.build: the CloudTrail record (identity.user_identity, redact.clean)
        ──> recorder.Recorder
              a committed write: appended in the write's own transaction (``in_transaction``)
              anything else: built, queued and appended in batches by the event
              loop (``submit``); every event to the JSON-lines sink when one is set
        ──> store/audit_events ──> LookupEvents (cloudtrail), ``iamd audit``, access advisor

Nothing secret reaches a record: ``redact`` removes every member botocore's models mark
sensitive and every credential iamd knows by name, in parameters and results alike.
"""
