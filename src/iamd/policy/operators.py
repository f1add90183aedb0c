"""Names of condition operators: the base operators, ``IfExists`` and the set qualifiers.

``ForAllValues:StringLikeIfExists`` splits into qualifier ``ForAllValues``, base
``StringLike`` and ``if_exists=True``. Operator names are case-sensitive in AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Family(StrEnum):
    STRING = "String"
    NUMERIC = "Numeric"
    DATE = "Date"
    BOOL = "Bool"
    BINARY = "Binary"
    IP = "IpAddress"
    ARN = "Arn"
    NULL = "Null"


BASE_OPERATORS: dict[str, Family] = {
    "StringEquals": Family.STRING,
    "StringNotEquals": Family.STRING,
    "StringEqualsIgnoreCase": Family.STRING,
    "StringNotEqualsIgnoreCase": Family.STRING,
    "StringLike": Family.STRING,
    "StringNotLike": Family.STRING,
    "NumericEquals": Family.NUMERIC,
    "NumericNotEquals": Family.NUMERIC,
    "NumericLessThan": Family.NUMERIC,
    "NumericLessThanEquals": Family.NUMERIC,
    "NumericGreaterThan": Family.NUMERIC,
    "NumericGreaterThanEquals": Family.NUMERIC,
    "DateEquals": Family.DATE,
    "DateNotEquals": Family.DATE,
    "DateLessThan": Family.DATE,
    "DateLessThanEquals": Family.DATE,
    "DateGreaterThan": Family.DATE,
    "DateGreaterThanEquals": Family.DATE,
    "Bool": Family.BOOL,
    "BinaryEquals": Family.BINARY,
    "IpAddress": Family.IP,
    "NotIpAddress": Family.IP,
    "ArnEquals": Family.ARN,
    "ArnLike": Family.ARN,
    "ArnNotEquals": Family.ARN,
    "ArnNotLike": Family.ARN,
    "Null": Family.NULL,
}

# A negated operator over several policy values is true only when the request value
# matches none of them, and it is true when the key is missing.
NEGATED_OPERATORS = frozenset(
    {
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "NotIpAddress",
        "ArnNotEquals",
        "ArnNotLike",
    }
)

# Policy variables are substituted only in the values of these families.
VARIABLE_FAMILIES = frozenset({Family.STRING, Family.ARN, Family.BOOL})


class Qualifier(StrEnum):
    NONE = ""
    FOR_ALL_VALUES = "ForAllValues"
    FOR_ANY_VALUE = "ForAnyValue"


@dataclass(frozen=True, slots=True)
class OperatorName:
    """A condition operator as written, split into its parts."""

    qualifier: Qualifier
    base: str
    if_exists: bool

    @property
    def family(self) -> Family:
        return BASE_OPERATORS[self.base]

    @property
    def negated(self) -> bool:
        return self.base in NEGATED_OPERATORS

    def __str__(self) -> str:
        prefix = f"{self.qualifier}:" if self.qualifier else ""
        return f"{prefix}{self.base}{'IfExists' if self.if_exists else ''}"


_IF_EXISTS = "IfExists"


def split_operator(name: str) -> OperatorName | None:
    """Split an operator name into its parts; None when it is not an operator AWS knows."""
    qualifier = Qualifier.NONE
    rest = name
    if ":" in name:
        prefix, rest = name.split(":", 1)
        if prefix == Qualifier.FOR_ALL_VALUES:
            qualifier = Qualifier.FOR_ALL_VALUES
        elif prefix == Qualifier.FOR_ANY_VALUE:
            qualifier = Qualifier.FOR_ANY_VALUE
        else:
            return None
    if_exists = False
    if rest.endswith(_IF_EXISTS) and rest != _IF_EXISTS:
        candidate = rest[: -len(_IF_EXISTS)]
        if candidate in BASE_OPERATORS and candidate != "Null":
            return OperatorName(qualifier, candidate, True)
    if rest not in BASE_OPERATORS:
        return None
    if qualifier and rest == "Null":
        return None
    return OperatorName(qualifier, rest, if_exists)
