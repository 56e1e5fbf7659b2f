"""What starts runs besides a person: Dagster sensors and the schedules that go with them.

- ``github_events``: webhook deliveries recorded by the receiver → render runs.
- ``owner_watch``: new repositories of watched GitHub owners, without webhooks.
- ``run_status``: run-status sensors (render after add, catalog after render, the
  failure reason as a tag).
- ``notifications``: mail and webhook notices when a render ends.
- ``status_page``: rewrites the site's status page when a render changes state.
- ``publication``: the publication job, publish-after-render and the deferred
  publications schedule.
"""
