"""Property-based tests in CI: the fixed examples, then fresh ones from a seed the log shows.

In CI (the environment sets CI) the "ci" profile derandomizes hypothesis: every run repeats
the same examples, so a failure there is never luck. After that fixed pass, each `@given`
test runs again on up to FRESH_EXAMPLES new examples drawn from one seed per session, so CI
keeps exploring. The seed is in the report header and in the failure of any fresh pass;
`CI=1 IDPROTECT_FRESH_SEED=<seed> ./dev test <test id>` replays it. A failure either pass
finds is kept as an `@example(...)` on its test, which every later run tries first.
Outside CI every run draws new examples ("dev" profile) and there is one pass.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

FRESH_EXAMPLES = 40
SEED_VARIABLE = "IDPROTECT_FRESH_SEED"
_FRESH_SEED = pytest.StashKey[int | None]()


def fresh_seed(config: pytest.Config) -> int | None:
    """The seed of this session's fresh pass; None outside CI, where there is none."""
    return config.stash[_FRESH_SEED]


# First, so that hypothesis' own --hypothesis-profile, if given, can find and override these;
# and before collection, as a test module's settings are built from the profile then loaded.
@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    in_ci = bool(os.environ.get("CI"))
    _load_profile("ci" if in_ci else "dev")
    chosen = os.environ.get(SEED_VARIABLE)
    fresh = int(chosen) if chosen else secrets.randbits(32)
    config.stash[_FRESH_SEED] = fresh if in_ci else None


def _load_profile(name: str) -> None:
    """Neither profile times the generation of examples (too_slow) nor a test (deadline): a
    test never fails because the machine was busy. Both derive from hypothesis' "default", not
    from whatever it loaded itself (its own "ci" when it sees a CI variable)."""
    untimed: dict[str, Any] = {"suppress_health_check": [HealthCheck.too_slow], "deadline": None}
    default = settings.get_profile("default")
    settings.register_profile("ci", default, derandomize=True, print_blob=True, **untimed)
    settings.register_profile("dev", default, **untimed)
    settings.load_profile(name)


def pytest_report_header(config: pytest.Config) -> str | None:
    fresh = fresh_seed(config)
    if fresh is None:
        return None
    return f"property-based tests: fixed examples, then fresh ones from seed {_replay(fresh)}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    yield  # the fixed pass; when it fails, the test has failed and stops here
    fresh = fresh_seed(item.config)
    if fresh is None or not isinstance(item, pytest.Function):
        return
    if item.get_closest_marker("hypothesis") is None:  # hypothesis marks every @given test
        return
    with _fresh_pass(item.obj, fresh):
        try:
            item.runtest()
        except BaseException as error:
            error.add_note(f"Failed on a fresh example, seed {_replay(fresh)}.")
            raise


def _replay(fresh: int) -> str:
    return f"{fresh} (to replay: CI=1 {SEED_VARIABLE}={fresh})"


@contextmanager
def _fresh_pass(test: Any, fresh: int) -> Iterator[None]:
    """`test` draws up to FRESH_EXAMPLES examples from `fresh`, then is as it was. A @given
    test holds the settings and seed it runs with in these attributes (as @settings and @seed
    leave them) and reads them at each call."""
    fixed, fixed_seed = test._hypothesis_internal_use_settings, test._hypothesis_internal_use_seed
    test._hypothesis_internal_use_settings = settings(
        fixed,
        derandomize=False,
        database=None,
        max_examples=min(fixed.max_examples, FRESH_EXAMPLES),
    )
    test._hypothesis_internal_use_seed = fresh
    try:
        yield
    finally:
        test._hypothesis_internal_use_settings = fixed
        test._hypothesis_internal_use_seed = fixed_seed
