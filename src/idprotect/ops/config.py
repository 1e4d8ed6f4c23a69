"""The documents that set throttling and faults (`/_admin`, the CLI, `serve --throttle FILE`),
checked whole: anything outside them is refused with a message naming the field."""

from __future__ import annotations

import secrets
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from idprotect.ops.faults import FAULT_STATUSES, FaultPlan, FaultRule, Latency
from idprotect.ops.throttle import GROUPS, NAMED, Bucket, ThrottleProfile

M = TypeVar("M", bound=BaseModel)
_METHODS = ("GET ", "POST ", "PUT ", "PATCH ", "DELETE ", "* ", "*")
Pattern = Annotated[str, Field(min_length=1, max_length=256)]
Milliseconds = Annotated[float, Field(ge=0, le=60_000)]


class _Spec(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


def _check_patterns(patterns: list[str]) -> None:
    for pattern in patterns:
        if pattern not in GROUPS and not pattern.startswith(_METHODS):
            raise ValueError(
                f"'{pattern}' is not an operation pattern: 'METHOD /path' (globs allowed), "
                f"'*', or one of {', '.join(GROUPS)}"
            )


class BucketSpec(_Spec):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    operations: list[Pattern] = Field(min_length=1, max_length=20)
    requests: int = Field(ge=1, le=1_000_000)
    seconds: float = Field(gt=0, le=86_400)
    burst: int | None = Field(default=None, ge=1, le=1_000_000)
    per: Literal["tenant", "app"] = "tenant"

    @model_validator(mode="after")
    def _patterns(self) -> BucketSpec:
        _check_patterns(self.operations)
        return self


class ThrottleSpec(_Spec):
    """`off`, `graph`, `graph-retry-after`, `custom` (with buckets), or, per tenant, `default`
    (the server's profile)."""

    profile: Literal["off", "graph", "graph-retry-after", "custom", "default"]
    retry_after: bool = False
    buckets: list[BucketSpec] | None = Field(default=None, min_length=1, max_length=50)

    @model_validator(mode="after")
    def _buckets(self) -> ThrottleSpec:
        if (self.profile == "custom") != (self.buckets is not None):
            raise ValueError("'buckets' goes with the profile 'custom', and only with it")
        if self.buckets is not None:
            names = [b.name for b in self.buckets]
            if len(set(names)) != len(names):
                raise ValueError("bucket names must be unique")
        return self


class UniformMs(_Spec):
    min: Milliseconds
    max: Milliseconds


class LatencySpec(_Spec):
    """Exactly one of: a fixed delay, a uniform range, an exponential distribution's mean."""

    fixed_ms: Milliseconds | None = None
    uniform_ms: UniformMs | None = None
    exponential_ms: Milliseconds | None = None

    @model_validator(mode="after")
    def _one(self) -> LatencySpec:
        given = [v for v in (self.fixed_ms, self.uniform_ms, self.exponential_ms) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of fixedMs, uniformMs, exponentialMs")
        if self.uniform_ms is not None and self.uniform_ms.min > self.uniform_ms.max:
            raise ValueError("uniformMs: min must not be more than max")
        return self


Probability = Annotated[float, Field(ge=0, le=1)]


class RuleSpec(_Spec):
    operations: list[Pattern] = Field(default_factory=lambda: ["*"], min_length=1, max_length=20)
    error_rates: dict[Literal["429", "500", "502", "503", "504"], Probability] = Field(
        default_factory=dict
    )
    drop_rate: Probability = 0.0
    latency: LatencySpec | None = None
    fail_next: int = Field(default=0, ge=0, le=1_000_000)
    fail_status: int = Field(default=503, json_schema_extra={"enum": list(FAULT_STATUSES)})

    @model_validator(mode="after")
    def _rates(self) -> RuleSpec:
        _check_patterns(self.operations)
        if sum(self.error_rates.values()) + self.drop_rate > 1 + 1e-9:
            raise ValueError("errorRates and dropRate add up to more than 1")
        if self.fail_status not in FAULT_STATUSES:
            raise ValueError(f"failStatus must be one of {', '.join(map(str, FAULT_STATUSES))}")
        return self


class FaultSpec(_Spec):
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    rules: list[RuleSpec] = Field(min_length=1, max_length=50)


def validated(model: type[M], document: bytes | str) -> M:
    """`document` (JSON) as `model`; ValueError with one line naming the first problem."""
    try:
        # Strict: a value of the wrong JSON type (a string for a number) is refused.
        return model.model_validate_json(document, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise ValueError("The document is not valid JSON.") from None
        where = ".".join(str(part) for part in first["loc"]) or "body"
        message = first["msg"].removeprefix("Value error, ")
        raise ValueError(f"Invalid document at '{where}': {message}.") from None


def throttle_profile(spec: ThrottleSpec) -> ThrottleProfile | None:
    """The profile a spec names; None for `default` (the server's)."""
    if spec.profile == "default":
        return None
    if spec.buckets is None:
        return NAMED[spec.profile]
    buckets = tuple(
        Bucket(
            b.name,
            tuple(b.operations),
            rate=b.requests / b.seconds,
            burst=b.burst or b.requests,
            per=b.per,
        )
        for b in spec.buckets
    )
    return ThrottleProfile("custom", buckets, retry_after=spec.retry_after)


def server_throttle(text: str) -> ThrottleProfile:
    """The server's profile from `serve --throttle` (a name, or a custom profile's JSON)."""
    if text in NAMED:
        return NAMED[text]
    profile = throttle_profile(validated(ThrottleSpec, text))
    if profile is None:
        raise ValueError("The server's profile cannot be 'default'.")
    return profile


def fault_plan(spec: FaultSpec) -> FaultPlan:
    """The plan a spec describes; without a seed, one drawn now (and shown, for replays)."""
    seed = spec.seed if spec.seed is not None else secrets.randbits(63)
    return FaultPlan(seed, tuple(_rule(r) for r in spec.rules))


def _rule(spec: RuleSpec) -> FaultRule:
    return FaultRule(
        operations=tuple(spec.operations),
        error_rates=tuple((int(status), rate) for status, rate in sorted(spec.error_rates.items())),
        drop_rate=spec.drop_rate,
        latency=_latency(spec.latency),
        fail_next=spec.fail_next,
        fail_status=spec.fail_status,
    )


def _latency(spec: LatencySpec | None) -> Latency | None:
    if spec is None:
        return None
    if spec.fixed_ms is not None:
        return Latency("fixed", spec.fixed_ms)
    if spec.uniform_ms is not None:
        return Latency("uniform", spec.uniform_ms.min, spec.uniform_ms.max)
    assert spec.exponential_ms is not None
    return Latency("exponential", spec.exponential_ms)
