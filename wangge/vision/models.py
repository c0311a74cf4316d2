"""Camera and zone tables come with the next slice; the counter, frame sources and the alert state
machine (counting.py, sources.py, alerts.py) are plain modules without tables."""
