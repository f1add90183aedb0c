"""``iamd idp``: small local identity providers (OpenID Connect, SAML 2.0) for trying
federation end to end without a real IdP. One subcommand per provider module in
``iamd.cli.idp`` (see ``iamd.cli.idp.PROVIDERS``)."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from iamd.cli.idp import PROVIDERS


def register(commands: Any) -> None:
    idp = commands.add_parser(
        "idp", help="run a local identity provider (development only) and issue tokens"
    )
    sub = idp.add_subparsers(dest="idp_command", metavar="PROVIDER", required=True)
    for name in PROVIDERS:
        module_name = f"iamd.cli.idp.{name}"
        if importlib.util.find_spec(module_name) is not None:
            importlib.import_module(module_name).register(sub)
