"""The detectors, one module each; DETECTORS is the list the engine runs, in this order."""

from __future__ import annotations

from idprotect.engine.detectors import familiarity, leaked, network, spray, travel
from idprotect.engine.findings import Detector

DETECTORS: tuple[Detector, ...] = (
    network.anonymized_ip_address,
    network.malicious_ip_address,
    familiarity.unfamiliar_features,
    familiarity.new_country,
    travel.unlikely_travel,
    spray.password_spray,
    leaked.leaked_credentials,
)
