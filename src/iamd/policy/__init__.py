"""The IAM policy language (placeholder docstring, replaced when the engine lands)."""
