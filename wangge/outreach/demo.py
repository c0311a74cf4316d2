"""Demo data for the outreach app (called by seed_demo)."""


def demo_outreach_load(*, jurisdiction) -> None:
    return None
