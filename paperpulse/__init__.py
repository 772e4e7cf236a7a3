"""paperpulse: an open pipeline for tracking machine-learning research."""

__version__ = "0.1.0"
