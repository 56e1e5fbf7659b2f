"""How the service has been doing: run history as tables and a chart (no dagster here)."""
