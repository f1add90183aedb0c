"""State: SQLAlchemy Core tables and repositories; SQLite by default, PostgreSQL to scale out.

No business rules live here: quotas, validation and AWS's errors are the operations'.
"""
