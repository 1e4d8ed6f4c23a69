"""What a collection lets `$filter` see: property paths, their types and allowed operators."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import ClassVar

from idprotect.domain.predicates import Operator

COMPARISONS = frozenset(
    {Operator.EQ, Operator.NE, Operator.GT, Operator.GE, Operator.LT, Operator.LE}
)
_EQUALITY = frozenset({Operator.EQ, Operator.NE, Operator.IN})


@dataclass(frozen=True, slots=True)
class String:
    """Edm.String: compared case-sensitively, ordered by code point."""

    name: ClassVar[str] = "String"
    capable: ClassVar[frozenset[Operator]] = frozenset(Operator)
    default: ClassVar[frozenset[Operator]] = _EQUALITY | {Operator.STARTSWITH}


@dataclass(frozen=True, slots=True)
class Boolean:
    """Edm.Boolean: the literals true and false."""

    name: ClassVar[str] = "Boolean"
    capable: ClassVar[frozenset[Operator]] = _EQUALITY
    default: ClassVar[frozenset[Operator]] = frozenset({Operator.EQ, Operator.NE})


@dataclass(frozen=True, slots=True)
class DateTimeOffset:
    """Edm.DateTimeOffset: literals become aware UTC datetimes, truncated to microseconds."""

    name: ClassVar[str] = "DateTimeOffset"
    capable: ClassVar[frozenset[Operator]] = COMPARISONS | {Operator.IN}
    default: ClassVar[frozenset[Operator]] = COMPARISONS


@dataclass(frozen=True, slots=True)
class Int32:
    """Edm.Int32: integer literals from -2**31 to 2**31 - 1, compared as numbers."""

    name: ClassVar[str] = "Int32"
    capable: ClassVar[frozenset[Operator]] = COMPARISONS | {Operator.IN}
    default: ClassVar[frozenset[Operator]] = COMPARISONS | {Operator.IN}


@dataclass(frozen=True, slots=True)
class Guid:
    """Edm.Guid: literals become lower-case strings."""

    name: ClassVar[str] = "Guid"
    capable: ClassVar[frozenset[Operator]] = _EQUALITY
    default: ClassVar[frozenset[Operator]] = _EQUALITY


@dataclass(frozen=True, slots=True)
class Enum:
    """A Graph enum type (e.g. riskLevel) and its members' wire names; literals become members.

    Ordering operators are not offered: members carry no order here, so `gt` has no meaning.
    `evolvable` members (declared after the `sentinel`, unknownFutureValue) are seen only by
    callers that send `Prefer: include-unknown-enum-members` (odata/evolvable.py).
    """

    type_name: str
    members: frozenset[str]
    evolvable: frozenset[str] = frozenset()
    sentinel: str = "unknownFutureValue"
    capable: ClassVar[frozenset[Operator]] = _EQUALITY
    default: ClassVar[frozenset[Operator]] = _EQUALITY

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError(f"enum {self.type_name} declares no members")
        object.__setattr__(self, "members", frozenset(self.members))
        object.__setattr__(self, "evolvable", frozenset(self.evolvable))
        if self.evolvable and not self.evolvable | {self.sentinel} <= self.members:
            raise ValueError(f"evolvable members of {self.type_name} must be members")

    @property
    def name(self) -> str:
        return self.type_name

    @property
    def qualified_name(self) -> str:
        return f"microsoft.graph.{self.type_name}"


PropertyType = String | Boolean | DateTimeOffset | Int32 | Guid | Enum


@dataclass(frozen=True, slots=True)
class Property:
    """A filterable property: its type and the operators a client may use on it."""

    type: PropertyType
    operators: frozenset[Operator]

    @classmethod
    def of(cls, type_: PropertyType, operators: Iterable[Operator] | None = None) -> Property:
        """The type's default operators unless others are given; those must suit the type."""
        chosen = type_.default if operators is None else frozenset(operators)
        unsuitable = chosen - type_.capable
        if unsuitable:
            names = ", ".join(sorted(unsuitable))
            raise ValueError(f"operators {names} cannot apply to a {type_.name} property")
        return cls(type_, chosen)


_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*\Z")


class Schema(Mapping[str, Property]):
    """The explicit allow-list of a collection: property path -> Property. Immutable."""

    __slots__ = ("_properties",)

    def __init__(self, properties: Mapping[str, PropertyType | Property]) -> None:
        checked: dict[str, Property] = {}
        for path, declared in properties.items():
            if not _PATH.match(path):
                raise ValueError(f"not a property path: {path!r}")
            if not isinstance(declared, Property):
                declared = Property.of(declared)
            checked[path] = declared
        self._properties = checked

    def __getitem__(self, path: str) -> Property:
        return self._properties[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._properties)

    def __len__(self) -> int:
        return len(self._properties)

    def __repr__(self) -> str:
        return f"Schema({self._properties!r})"
