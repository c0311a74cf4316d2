"""Address gazetteer (placeholder until the gazetteer lands): finds nothing, so address-only reports go to triage."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Geocoded:
    lon: float
    lat: float
    matched: str
    confidence: float


def geocode(*, jurisdiction, address: str) -> Geocoded | None:
    return None
