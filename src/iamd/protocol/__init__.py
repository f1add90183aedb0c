"""The AWS Query wire protocol of IAM and STS, driven by botocore's service models.

This package is the exact inverse of botocore's ``QuerySerializer`` and ``QueryParser``:
clients serialize requests with the first and parse responses with the second, iamd does
the opposite with the same models (``botocore/data/{iam,sts}/.../service-2.json``, loaded
through ``botocore.loaders``, never copied). Nothing here names an operation: every rule is
keyed on shape types and wire traits (``locationName``, ``flattened``, ``resultWrapper``), so
a new operation in the model needs no protocol code.

::

    pairs (form body or query string)                          result dict
        |                                                          |
    query_parser.parse_request                        xml_serializer.serialize_result
        |  build_tree: names split on dots                         |  Envelope: fixed head/tail
        |  Decoder: input shape over the tree                      |  Writer: output shape -> XML
        |  validate.Validator: every violation                     v
        v                                                     bytes (text/xml)
    ParsedRequest(action, params)          ServiceError -> errors_xml.render_error

``models`` loads each service once and compiles, per operation and on first use, one
function per shape for each direction (decoder, validator, XML writer), with compiled
regular expressions (``patterns`` translates the models' Java syntax); ``Service.warm()``
does it all at startup. Structures, where nearly all the time goes, get a function
generated from the model with their members unrolled (scalars handled inline); lists,
maps and scalars are closures. The request and response paths then only run these.

REST-JSON services (IAM Roles Anywhere) are found by method and path instead:
``rest_models`` compiles each operation's URI template, ``rest_json`` parses labels, query
strings and JSON bodies and writes JSON results and ``{"message": ...}`` errors.

Who raises what: ``parse_request`` raises ``MissingAction``, ``InvalidAction`` and
``ValidationError`` from ``iamd.errors``; the server renders any ``ServiceError`` with
``render_error``. Operations never see the wire.
"""

from __future__ import annotations

from iamd.protocol.errors_xml import render_error
from iamd.protocol.models import SERVICE_VERSIONS, Operation, Service, load_service
from iamd.protocol.query_parser import ParsedRequest, parse_request
from iamd.protocol.rest_json import parse_rest_request, render_rest_error, serialize_rest_result
from iamd.protocol.rest_models import (
    REST_SERVICE_VERSIONS,
    RestOperation,
    RestService,
    load_rest_service,
)
from iamd.protocol.validate import find_violations, validate_params
from iamd.protocol.xml_serializer import CONTENT_TYPE, serialize_result

__all__ = [
    "CONTENT_TYPE",
    "REST_SERVICE_VERSIONS",
    "SERVICE_VERSIONS",
    "Operation",
    "ParsedRequest",
    "RestOperation",
    "RestService",
    "Service",
    "find_violations",
    "load_rest_service",
    "load_service",
    "parse_request",
    "parse_rest_request",
    "render_error",
    "render_rest_error",
    "serialize_rest_result",
    "serialize_result",
    "validate_params",
]
