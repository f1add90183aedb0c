"""Loading and wrapping the service models."""

from __future__ import annotations

import pytest

from iamd.protocol import SERVICE_VERSIONS, Service, load_service
from iamd.protocol.shapes import ShapeCompiler


def test_services_are_loaded_once() -> None:
    assert load_service("iam") is load_service("iam")
    iam = load_service("iam")
    assert repr(iam) == "Service(iam 2010-05-08)"
    assert iam.namespace == "https://iam.amazonaws.com/doc/2010-05-08/"
    assert {name: load_service(name).api_version for name in SERVICE_VERSIONS} == {
        "iam": "2010-05-08",
        "sts": "2011-06-15",
    }
    assert iam.botocore_model.service_name == "iam"  # type: ignore[attr-defined]


def test_operations_are_cached_and_case_sensitive() -> None:
    sts = load_service("sts")
    operation = sts.operation("AssumeRole")
    assert operation is not None
    assert operation is sts.operation("AssumeRole")
    assert repr(operation) == "Operation(sts:AssumeRole)"
    assert sts.operation("assumerole") is None
    assert "GetCallerIdentity" in sts.operation_names


def test_only_query_services() -> None:
    definition = {
        "metadata": {"apiVersion": "2020-01-01", "protocol": "json", "endpointPrefix": "x"},
        "operations": {},
        "shapes": {},
    }
    with pytest.raises(ValueError, match="does not use the query protocol"):
        Service.from_definition(definition, "x")


@pytest.mark.parametrize("method", ["_structure", "_list", "_map", "_scalar"])
def test_shape_compiler_subclasses_provide_every_kind(method: str) -> None:
    with pytest.raises(NotImplementedError):
        getattr(ShapeCompiler(), method)(None)


def test_unsupported_scalar_types_are_refused_at_compile_time() -> None:
    service = Service.from_definition(
        {
            "metadata": {
                "apiVersion": "2020-01-01",
                "protocol": "query",
                "xmlNamespace": "https://example.com/",
                "endpointPrefix": "x",
            },
            "operations": {
                "Op": {
                    "name": "Op",
                    "input": {"shape": "Shape"},
                    "output": {"shape": "Shape", "resultWrapper": "OpResult"},
                }
            },
            "shapes": {
                "Shape": {"type": "structure", "members": {"Doc": {"shape": "Doc"}}},
                "Doc": {"type": "document"},
            },
        },
        "x",
    )
    operation = service.operation("Op")
    assert operation is not None
    with pytest.raises(ValueError, match="unsupported shape type `document`"):
        operation.validator  # noqa: B018
    with pytest.raises(ValueError, match="unsupported shape type `document`"):
        operation.envelope  # noqa: B018


def test_warm_compiles_every_operation() -> None:
    sts = load_service("sts")
    sts.warm()
    for name in sts.operation_names:
        operation = sts.operation(name)
        assert operation is not None
        assert {"decoder", "validator", "envelope"} <= set(vars(operation))
