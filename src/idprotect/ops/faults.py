"""Fault injection, as data: which requests of a tenant fail, how, and how late they answer.

A plan is a seed and a list of rules; a request takes the first rule whose operations match
it (`METHOD /path` globs, as ops/throttle.py). Its fate is a pure function of the seed, the
rule and the request's number among those the rule matched since the plan was set, so the
same plan and the same requests give the same failures, run after run. A fault is decided
before the operation runs: a failed request changed nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

FAULT_STATUSES = (429, 500, 502, 503, 504)
LatencyKind = Literal["fixed", "uniform", "exponential"]


class DropConnection(Exception):
    """The request's connection is closed without an answer."""


@dataclass(frozen=True, slots=True)
class Latency:
    kind: LatencyKind
    low_ms: float  # fixed: the delay; uniform: the lowest; exponential: the mean
    high_ms: float = 0.0  # uniform: the highest

    def draw(self, u: float) -> float:
        """Seconds to wait, for a uniform draw `u` in [0, 1)."""
        if self.kind == "fixed":
            return self.low_ms / 1000
        if self.kind == "uniform":
            return (self.low_ms + u * (self.high_ms - self.low_ms)) / 1000
        return -self.low_ms * math.log1p(-u) / 1000  # exponential, of mean low_ms


@dataclass(frozen=True, slots=True)
class FaultRule:
    operations: tuple[str, ...] = ("*",)
    error_rates: tuple[tuple[int, float], ...] = ()  # (status, probability)
    drop_rate: float = 0.0
    latency: Latency | None = None
    fail_next: int = 0  # the next N requests fail, whatever the rates
    fail_status: int = 503

    def matches(self, operation: str) -> bool:
        return any(fnmatchcase(operation, pattern) for pattern in self.operations)


@dataclass(frozen=True, slots=True)
class FaultPlan:
    seed: int
    rules: tuple[FaultRule, ...]


@dataclass(frozen=True, slots=True)
class Fault:
    """What happens to one request: a delay, then an error status, a drop, or nothing."""

    delay: float = 0.0
    status: int | None = None
    drop: bool = False


NONE = Fault()


def rule_for(plan: FaultPlan, operation: str) -> int | None:
    """The index of the rule that takes `operation`, if any."""
    for index, rule in enumerate(plan.rules):
        if rule.matches(operation):
            return index
    return None


def decide(plan: FaultPlan, index: int, number: int) -> Fault:
    """The fate of the `number`th request (from 1) that rule `index` took."""
    rule = plan.rules[index]
    key = _mix(_mix(plan.seed ^ index) ^ number)
    delay = rule.latency.draw(_unit(key, 1)) if rule.latency is not None else 0.0
    if number <= rule.fail_next:
        return Fault(delay, status=rule.fail_status)
    draw = _unit(key, 2)
    for status, rate in rule.error_rates:
        if draw < rate:
            return Fault(delay, status=status)
        draw -= rate
    if draw < rule.drop_rate:
        return Fault(delay, drop=True)
    return Fault(delay)


_MASK = (1 << 64) - 1


def _mix(value: int) -> int:
    """splitmix64's finalizer: a well-spread 64-bit number from any, in a few operations (a
    seeded random.Random per request costs ten times as much)."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def _unit(key: int, stream: int) -> float:
    """The `stream`th uniform draw in [0, 1) of a request's key."""
    return (_mix(key ^ stream) >> 11) / float(1 << 53)
