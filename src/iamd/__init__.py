"""iamd: a self-hosted, AWS-compatible IAM and STS service centred on IAM roles."""

__version__ = "0.1.0"
