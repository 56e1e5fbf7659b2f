"""Telling people how a render ended: an outgoing JSON webhook and email (no dagster here)."""
