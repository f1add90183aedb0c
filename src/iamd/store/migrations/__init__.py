"""Alembic's script directory for the store's schema: ``env.py`` and ``versions/``.

Every schema change is a revision in ``versions/``; ``iamd.store.migrate`` runs them.
"""
