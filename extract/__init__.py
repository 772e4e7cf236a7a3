"""paperpulse ingestion and extraction: sources, landing, raw loading, the spaCy pipeline."""
