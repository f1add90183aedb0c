"""botocore's REST service models (``rest-json``), loaded once, with their URI templates.

A REST operation is found by its HTTP method and path, not by an ``Action`` parameter:
each operation's ``http.requestUri`` (``/profile/{profileId}/enable``) becomes one
anchored regular expression, a ``{label}`` matching one path segment and a ``{label+}``
the rest of the path. Several templates may share a path with different methods
(``GET``/``PATCH``/``DELETE /profile/{profileId}``).

A service may have operations that AWS documents but botocore does not model (Roles
Anywhere's ``CreateSession``): their definitions, written from AWS's documentation, live
in ``protocol/data/<service>-*.json`` and are merged into the model before it is built.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from collections.abc import Mapping
from importlib import resources
from typing import Any

import botocore.loaders
import botocore.model

from iamd.protocol.validate import Validator, compile_input_validator

__all__ = ["REST_SERVICE_VERSIONS", "RestOperation", "RestService", "load_rest_service"]

REST_SERVICE_VERSIONS: Mapping[str, str] = {"rolesanywhere": "2018-05-10"}
_EXTRA_DEFINITIONS: Mapping[str, tuple[str, ...]] = {
    "rolesanywhere": ("rolesanywhere-sessions.json",),
}
_LABEL = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")


def compile_template(request_uri: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """The anchored pattern of a URI template's path, and its label names in order."""
    path = request_uri.split("?", 1)[0]
    parts: list[str] = []
    labels: list[str] = []
    last = 0
    for found in _LABEL.finditer(path):
        parts.append(re.escape(path[last : found.start()]))
        parts.append("(.+)" if found.group(2) else "([^/]+)")
        labels.append(found.group(1))
        last = found.end()
    parts.append(re.escape(path[last:]))
    return re.compile("".join(parts)), tuple(labels)


class RestOperation:
    """One operation: its method, URI template, success status and compiled validator."""

    def __init__(self, service: RestService, model: Any) -> None:
        self.service = service
        self.name: str = model.name
        self.method: str = model.http["method"]
        self.status: int = int(model.http.get("responseCode", 200))
        self.pattern, self.labels = compile_template(model.http["requestUri"])
        self._model = model

    def __repr__(self) -> str:
        return f"RestOperation({self.service.name}:{self.name} {self.method})"

    @property
    def input_shape(self) -> Any:
        return self._model.input_shape

    @property
    def output_shape(self) -> Any:
        return self._model.output_shape

    @functools.cached_property
    def validator(self) -> Validator:
        return compile_input_validator(self._model.input_shape, self.service.validator_memo)


class RestService:
    """A REST-JSON service model: its operations, found by method and raw path."""

    def __init__(self, model: Any) -> None:
        if model.protocol != "rest-json":
            raise ValueError(f"service `{model.service_name}` does not use the rest-json protocol")
        self._model = model
        self.name: str = model.service_name
        self.api_version: str = model.api_version
        self.validator_memo: dict[tuple[str, str], Any] = {}
        self.operations: dict[str, RestOperation] = {
            name: RestOperation(self, model.operation_model(name)) for name in model.operation_names
        }
        # Literal templates first: ``/profiles`` must never be read as a label's value.
        self._routes = sorted(self.operations.values(), key=lambda op: (len(op.labels), op.name))
        self._errors: dict[str, int] = {}
        for shape_name in model.shape_names:
            shape = model.shape_for(shape_name)
            error = shape.metadata.get("error") if shape.metadata.get("exception") else None
            if error is not None:
                self._errors[shape_name] = int(error.get("httpStatusCode", 400))

    def __repr__(self) -> str:
        return f"RestService({self.name} {self.api_version})"

    def match(self, method: str, raw_path: str) -> tuple[RestOperation, dict[str, str]] | None:
        """The operation for ``method`` on ``raw_path`` and its decoded labels, or None."""
        for op in self._routes:
            if op.method != method:
                continue
            found = op.pattern.fullmatch(raw_path)
            if found is not None:
                values = (urllib.parse.unquote(value) for value in found.groups())
                return op, dict(zip(op.labels, values, strict=True))
        return None

    def serves_path(self, raw_path: str) -> bool:
        """Whether any operation's template matches ``raw_path`` (whatever the method)."""
        return any(op.pattern.fullmatch(raw_path) for op in self._routes)

    def error_status(self, code: str) -> int | None:
        """The HTTP status the model gives the error ``code``, or None if not modelled."""
        return self._errors.get(code)

    def has_error(self, code: str) -> bool:
        return code in self._errors

    @property
    def botocore_model(self) -> object:
        """botocore's ``ServiceModel`` (for tests and tooling; untyped, hence ``object``)."""
        return self._model


def _merge_extra(definition: dict[str, Any], name: str) -> None:
    for filename in _EXTRA_DEFINITIONS.get(name, ()):
        text = resources.files("iamd.protocol").joinpath("data", filename).read_text("utf-8")
        extra = json.loads(text)
        definition["operations"].update(extra["operations"])
        definition["shapes"].update(extra["shapes"])


@functools.cache
def load_rest_service(name: str) -> RestService:
    """Load a REST-JSON service (``rolesanywhere``) from botocore, once per process."""
    try:
        version = REST_SERVICE_VERSIONS[name]
    except KeyError:
        raise ValueError(f"unknown service `{name}`") from None
    loader = botocore.loaders.create_loader()
    definition = dict(loader.load_service_model(name, "service-2", api_version=version))
    definition["operations"] = dict(definition["operations"])
    definition["shapes"] = dict(definition["shapes"])
    _merge_extra(definition, name)
    return RestService(botocore.model.ServiceModel(definition, service_name=name))
