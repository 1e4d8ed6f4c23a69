"""The detectors, one module each; DETECTORS says which the engine runs for each principal kind
(domain/kinds.py, by name), in this order. Users keep Entra's sign-in detections; service
principals take Entra's workload identity detections that sign-ins show."""

from __future__ import annotations

from idprotect.domain.kinds import SERVICE_PRINCIPAL, USER
from idprotect.engine.detectors import familiarity, leaked, network, spray, travel
from idprotect.engine.findings import Detector

DETECTORS: dict[str, tuple[Detector, ...]] = {
    USER.name: (
        network.anonymized_ip_address,
        network.malicious_ip_address,
        familiarity.unfamiliar_features,
        familiarity.new_country,
        travel.unlikely_travel,
        spray.password_spray,
        leaked.leaked_credentials,
    ),
    SERVICE_PRINCIPAL.name: (
        network.investigations_threat_intelligence,
        familiarity.suspicious_signins,
        leaked.service_principal_leaked_credentials,
    ),
}
