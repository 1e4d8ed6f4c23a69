"""The detectors of service principals (Entra's workload identity detections) on hand-built
sequences over in-memory ports; which detectors each principal kind runs; and users' detectors
leaving service principals' sign-ins alone."""

from __future__ import annotations

from datetime import timedelta

from idprotect.domain.enums import ActivityType, RiskDetectionTimingType
from idprotect.domain.kinds import SERVICE_PRINCIPAL, USER
from idprotect.domain.models import Location
from idprotect.domain.signins import SignIn, SignInEventType
from idprotect.engine.detectors import DETECTORS
from idprotect.engine.detectors.familiarity import suspicious_signins
from idprotect.engine.detectors.leaked import (
    leaked_credentials,
    service_principal_leaked_credentials,
)
from idprotect.engine.detectors.network import investigations_threat_intelligence
from idprotect.engine.detectors.spray import password_spray
from tests.engine.fakes import T0, FakeLists, context, kinds, sign_in, workload_sign_in

LEAKED = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"
FRANKFURT = Location(city="Frankfurt", country_or_region="DE")


def hosted(count: int = 10) -> list[SignIn]:
    """The workload's learned routine: `count` sign-ins an hour apart from its hosting range,
    the first six days before T0."""
    start = T0 - timedelta(days=6)
    return [workload_sign_in(f"h{i}", start + timedelta(hours=i)) for i in range(count)]


def names(detectors: tuple[object, ...]) -> list[str]:
    return [getattr(d, "risk_event_type", getattr(d, "__name__", "")) for d in detectors]


def test_each_kind_runs_its_own_detectors_and_users_keep_theirs() -> None:
    assert names(DETECTORS[USER.name]) == [
        "anonymized_ip_address",
        "malicious_ip_address",
        "unfamiliarFeatures",
        "new_country",
        "unlikely_travel",
        "password_spray",
        "",  # leakedCredentials, a LeakedCredentials(activity=user)
    ]
    assert DETECTORS[USER.name][-1] is leaked_credentials
    assert DETECTORS[SERVICE_PRINCIPAL.name] == (
        investigations_threat_intelligence,
        suspicious_signins,
        service_principal_leaked_credentials,
    )


def test_a_workload_sign_in_is_its_service_principals() -> None:
    found = workload_sign_in(1)

    assert (found.principal_id, found.kind, found.event_type) == (
        "sp-1",
        SERVICE_PRINCIPAL,
        SignInEventType.SERVICE_PRINCIPAL,
    )
    assert sign_in(2).event_type is SignInEventType.INTERACTIVE_USER
    assert sign_in(3, is_interactive=False).event_type is SignInEventType.NON_INTERACTIVE_USER


# investigationsThreatIntelligence


def test_threat_intelligence_high_on_a_success_from_a_malicious_range() -> None:
    lists = FakeLists(malicious=["192.0.2.0/24"])
    found = investigations_threat_intelligence(
        workload_sign_in(1, ip_address="192.0.2.9"), context(lists=lists)
    )

    assert kinds(found) == [("investigationsThreatIntelligence", "high")]
    assert found[0].timing is RiskDetectionTimingType.OFFLINE
    assert found[0].reasons == {
        "ipAddress": "192.0.2.9",
        "list": "malicious",
        "range": "192.0.2.0/24",
    }


def test_threat_intelligence_medium_on_a_failure_and_from_an_anonymizer() -> None:
    lists = FakeLists(anonymizers=["198.51.100.7/32"], malicious=["2001:db8:bad::/48"])
    failed = workload_sign_in(1, ip_address="2001:db8:bad::1", error_code=7000215)
    tor = workload_sign_in(2, ip_address="198.51.100.7")

    assert kinds(investigations_threat_intelligence(failed, context(lists=lists))) == [
        ("investigationsThreatIntelligence", "medium")
    ]
    found = investigations_threat_intelligence(tor, context(lists=lists))
    assert kinds(found) == [("investigationsThreatIntelligence", "high")]
    assert found[0].reasons == {"ipAddress": "198.51.100.7", "list": "anonymizer"}


def test_threat_intelligence_finds_nothing_off_the_lists_or_without_an_address() -> None:
    lists = FakeLists(anonymizers=["198.51.100.7/32"], malicious=["192.0.2.0/24"])

    assert investigations_threat_intelligence(workload_sign_in(1), context(lists=lists)) == []
    bare = workload_sign_in(2, ip_address=None)
    assert investigations_threat_intelligence(bare, context(lists=lists)) == []


# suspiciousSignins


def test_suspicious_when_address_country_and_agent_are_all_new_after_learning() -> None:
    new = workload_sign_in("new", ip_address="192.0.2.9", location=FRANKFURT, user_agent="curl/8")
    found = suspicious_signins(new, context([*hosted(), new]))

    assert kinds(found) == [("suspiciousSignins", "medium")]
    assert found[0].timing is RiskDetectionTimingType.OFFLINE
    assert found[0].reasons == {
        "new_ip_prefix": "192.0.2.0/24",
        "new_country_or_region": "DE",
        "new_user_agent": "curl/8",
    }


def test_not_suspicious_when_one_property_is_familiar() -> None:
    same_agent = workload_sign_in("new", ip_address="192.0.2.9", location=FRANKFURT)
    same_range = workload_sign_in("other", location=FRANKFURT, user_agent="curl/8")

    assert suspicious_signins(same_agent, context([*hosted(), same_agent])) == []
    assert suspicious_signins(same_range, context([*hosted(), same_range])) == []


def test_suspicious_signins_waits_for_learning_as_users_do() -> None:
    new = workload_sign_in("new", ip_address="192.0.2.9", location=FRANKFURT, user_agent="curl/8")
    # Ten sign-ins, but the first only two days ago: Entra's five days are not over.
    recent = [workload_sign_in(f"h{i}", T0 - timedelta(days=2, hours=-i)) for i in range(10)]

    assert suspicious_signins(new, context([new])) == []
    assert suspicious_signins(new, context([*recent, new])) == []
    assert suspicious_signins(new, context([*hosted(3), new])) == []  # 3 sign-ins, 6 days


def test_suspicious_signins_needs_two_known_properties_and_a_success() -> None:
    unknown = workload_sign_in("new", ip_address="192.0.2.9", location=None, user_agent=None)
    failed = workload_sign_in(
        "bad", ip_address="192.0.2.9", location=FRANKFURT, user_agent="curl/8", error_code=7000215
    )

    assert suspicious_signins(unknown, context([*hosted(), unknown])) == []
    assert suspicious_signins(failed, context([*hosted(), failed])) == []


def test_a_users_history_is_not_the_service_principals() -> None:
    # Another principal's sign-ins from the same places teach the service principal nothing.
    users = [sign_in(f"u{i}", T0 - timedelta(days=6, hours=-i), user_id="sp-2") for i in range(10)]
    new = workload_sign_in("new", service_principal_id="sp-2", ip_address="192.0.2.9",
                           location=FRANKFURT, user_agent="curl/8")  # fmt: skip

    assert suspicious_signins(new, context([*hosted(), new])) == []  # sp-2 has learned nothing
    assert kinds(suspicious_signins(new, context([*users, new]))) == [
        ("suspiciousSignins", "medium")
    ]


# leakedCredentials


def test_a_leaked_secret_is_the_service_principals_risk_once_per_credential() -> None:
    lists = FakeLists(leaked={LEAKED})
    first = workload_sign_in(1, credential_hashes=(LEAKED,))
    again = workload_sign_in(2, T0 + timedelta(hours=1), credential_hashes=(LEAKED.lower(),))

    found = service_principal_leaked_credentials(first, context(lists=lists))
    repeated = service_principal_leaked_credentials(again, context(lists=lists))

    assert kinds(found) == [("leakedCredentials", "high")]
    assert found[0].activity is ActivityType.SERVICE_PRINCIPAL
    assert found[0].detection_id("t", first) == repeated[0].detection_id("t", again)
    users = leaked_credentials(sign_in(3, credential_hashes=(LEAKED,)), context(lists=lists))
    assert users[0].activity is ActivityType.USER


# Users' detectors over a mixed history


def test_a_spray_counts_and_finds_users_only() -> None:
    ip = "198.51.100.50"
    failures = [
        sign_in(f"f{i}", timedelta(minutes=i), user_id=f"user-{i}", ip_address=ip, error_code=50126)
        for i in range(5)
    ]
    workloads = [
        workload_sign_in(f"w{i}", timedelta(minutes=i), service_principal_id=f"sp-{i}",
                         ip_address=ip, error_code=50126)
        for i in range(5)
    ]  # fmt: skip
    last = failures[-1]

    # Four users and five service principals failing: not a spray of five accounts.
    assert password_spray(last, context([*failures[:3], *workloads, last])) == []
    sprayed = password_spray(last, context([*failures, *workloads]))
    assert len(sprayed) == 5
    assert all(f.about(last).kind is USER for f in sprayed)
