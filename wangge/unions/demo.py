"""Demo data for the unions app (called by seed_demo)."""


def demo_unions_load(*, jurisdiction) -> None:
    return None
