"""Tools to run and check the deployment (``deploy/``) on one machine without a Docker engine.

- :mod:`.postgres`: a PostgreSQL server for tests (the machine's, or a throw-away
  cluster from ``scripts/postgres.sh``) and throw-away databases on it.
- :mod:`.docker_engine`: a loopback server that speaks the Docker Engine API calls
  ``DockerRunLauncher`` makes through docker-py, and runs each "container" as a
  local process.
- :mod:`.compose`: the services of ``deploy/compose.yaml`` (commands, environment).
- :mod:`.stack`: the whole deployment as local processes, started with the compose
  file's commands and the deployment's dagster.yaml and workspace.yaml.

Nothing here is imported by the product itself.
"""

DEPLOY_CHECKS_ENV = "REPO2VIDEO_DEPLOY_CHECKS"
"""Set to 1 (``make check-deploy`` does) to run the multi-process deployment tests."""
