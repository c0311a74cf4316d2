"""Demo data for the stations app (called by seed_demo)."""


def demo_stations_load(*, jurisdiction) -> None:
    return None
