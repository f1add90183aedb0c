"""botocore's service models for IAM and STS, loaded once and wrapped.

botocore ships the models (``botocore/data/<service>/<version>/service-2.json``); iamd never
copies them. ``Service`` and ``Operation`` keep botocore's untyped objects private and expose
what the wire layer needs, with the per-operation compiled plans (decoder, validator,
XML writer) built on first use and cached on the ``Operation``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import botocore.loaders
import botocore.model

if TYPE_CHECKING:
    from iamd.protocol.query_parser import Decoder
    from iamd.protocol.validate import Validator
    from iamd.protocol.xml_serializer import Envelope

__all__ = ["SERVICE_VERSIONS", "Operation", "Service", "load_service", "resolve_service"]

SERVICE_VERSIONS: Mapping[str, str] = {"iam": "2010-05-08", "sts": "2011-06-15"}


class Operation:
    """One operation of a service, with its wire plans compiled lazily."""

    def __init__(self, service: Service, model: Any) -> None:
        self.service = service
        self.name: str = model.name
        self._model = model

    def __repr__(self) -> str:
        return f"Operation({self.service.name}:{self.name})"

    @functools.cached_property
    def decoder(self) -> Decoder:
        from iamd.protocol.query_parser import compile_input_decoder

        return compile_input_decoder(self._model.input_shape, self.service.memo("decoder"))

    @functools.cached_property
    def validator(self) -> Validator:
        from iamd.protocol.validate import (
            PATTERNS_LEFT_TO_OPERATION,
            QUIET_SERVICES,
            compile_input_validator,
        )

        return compile_input_validator(
            self._model.input_shape,
            self.service.memo("validator"),
            quiet=self.service.name in QUIET_SERVICES,
            unpatterned=PATTERNS_LEFT_TO_OPERATION.get((self.service.name, self.name), frozenset()),
        )

    @functools.cached_property
    def envelope(self) -> Envelope:
        from iamd.protocol.xml_serializer import compile_envelope

        return compile_envelope(
            self.name,
            self.service.namespace,
            self._model.output_shape,
            self.service.memo("writer"),
        )

    @property
    def botocore_model(self) -> object:
        """botocore's ``OperationModel`` (for tests and tooling; untyped, hence ``object``)."""
        return self._model


class Service:
    """A Query-protocol service model: name, API version, XML namespace and operations."""

    __slots__ = (
        "_memos",
        "_model",
        "_operations",
        "api_version",
        "name",
        "namespace",
        "operation_names",
    )

    def __init__(self, model: Any) -> None:
        if model.protocol != "query":
            raise ValueError(f"service `{model.service_name}` does not use the query protocol")
        self._model = model
        self.name: str = model.service_name
        self.api_version: str = model.api_version
        self.namespace: str = model.metadata["xmlNamespace"]
        self.operation_names: frozenset[str] = frozenset(model.operation_names)
        self._operations: dict[str, Operation] = {}
        self._memos: dict[str, dict[tuple[str, str], Any]] = {}

    @classmethod
    def from_definition(cls, definition: Mapping[str, object], name: str) -> Service:
        """Wrap a service definition in botocore's JSON form (as its loader returns it)."""
        return cls(botocore.model.ServiceModel(dict(definition), service_name=name))

    def __repr__(self) -> str:
        return f"Service({self.name} {self.api_version})"

    def operation(self, name: str) -> Operation | None:
        """The operation called ``name`` (case-sensitive, as AWS matches Action), or None."""
        operation = self._operations.get(name)
        if operation is None and name in self.operation_names:
            operation = Operation(self, self._model.operation_model(name))
            self._operations[name] = operation
        return operation

    def memo(self, direction: str) -> dict[tuple[str, str], Any]:
        """Compiled shapes of one direction, shared by all operations (a shape such as
        ``Role`` is reached from many): keyed by shape name and traits, which are unique
        within one service model only."""
        return self._memos.setdefault(direction, {})

    def warm(self) -> None:
        """Compile every operation's plans now (about half a second for IAM and STS), so
        that no request pays for it; a server calls this at startup."""
        for name in self.operation_names:
            operation = self.operation(name)
            assert operation is not None  # INVARIANT: name comes from operation_names
            _ = operation.decoder, operation.validator, operation.envelope

    @property
    def botocore_model(self) -> object:
        """botocore's ``ServiceModel`` (for tests and tooling; untyped, hence ``object``)."""
        return self._model


@functools.cache
def load_service(name: str) -> Service:
    """Load ``iam`` or ``sts`` from botocore's bundled data, once per process."""
    try:
        version = SERVICE_VERSIONS[name]
    except KeyError:
        raise ValueError(f"unknown service `{name}`") from None
    loader = botocore.loaders.create_loader()
    definition = loader.load_service_model(name, "service-2", api_version=version)
    return Service(botocore.model.ServiceModel(definition, service_name=name))


def resolve_service(service: Service | str) -> Service:
    """Accept a loaded ``Service`` or a service name."""
    return service if isinstance(service, Service) else load_service(service)
