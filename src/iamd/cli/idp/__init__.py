"""Local identity providers for development and tests: ``iamd idp oidc|saml``.

Each provider is a module of this package with ``register(subparsers)``, which adds its
subcommand under ``iamd idp``. ``PROVIDERS`` names them; ``iamd.cli.idp_cmd`` registers
every one whose module exists, so a new provider is one module plus its name here.
"""

from __future__ import annotations

PROVIDERS: tuple[str, ...] = ("oidc", "saml")
