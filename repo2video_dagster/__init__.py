"""repo2video: turn a source repository into a narrated explainer video with Dagster."""

__version__ = "0.1.0"
