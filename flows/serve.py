"""Scheduled runs: serve the `clean_corpus` flow as a deployment on a cron schedule.

`serve` registers the deployment `clean_corpus/<name>` with the Prefect server that
`PREFECT_API_URL` names and then polls it for runs, scheduled or triggered by hand (UI,
`prefect deployment run`, the API), until interrupted. Each run executes in a child
process of this one, with this process' working directory: relative inputs and `out`
mean the same as they would for `docprep clean` run from here, and so do the record ids
(they depend on the input names as given).

Schedules need a real server (`prefect server start`); the embedded temporary API used
by `docprep clean` lives only as long as one process. `prefect.yaml` at the repository
root is the same deployment for `prefect deploy` and a process work pool.
"""
from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from pathlib import Path  # noqa: E402
from typing import Any, Sequence  # noqa: E402

from cleaners.config import load_config  # noqa: E402
from cleaners.errors import ConfigError, InputError  # noqa: E402
from cleaners.read import is_url  # noqa: E402

DEFAULT_CRON = "*/5 * * * *"
DEFAULT_NAME = "docprep-clean"


def deployment_parameters(inputs: Sequence[str], out: str | Path, config: str | Path | None = None) -> dict[str, Any]:
    """The flow parameters every run of the deployment gets. The config file is read and
    validated now, and the resolved config is stored in the deployment, so every run uses
    the config shown in the UI; restart `serve` to pick up an edited file."""
    if not inputs:
        raise InputError("no inputs given (give files, folders, URL lists or http(s) URLs)")
    for arg in inputs:
        if not is_url(arg) and not os.path.lexists(arg):
            raise InputError(f"input not found: {arg} (give a file, a folder or an http(s) URL)")
    cfg = load_config(config)
    return {"inputs": [str(i) for i in inputs], "out": str(out), "config": cfg.model_dump(mode="json")}


def check_cron(cron: str) -> str:
    from pydantic import ValidationError
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron)
    except ValidationError as exc:
        raise ConfigError(f"invalid cron schedule {cron!r}: give five fields, e.g. \"*/5 * * * *\" (every 5 minutes)") from exc
    return cron


def check_server() -> str:
    """The API URL of the Prefect server to serve on; without one, Prefect would serve on a
    temporary API that lives only as long as this process, and nobody could see or
    trigger the runs."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise ConfigError("docprep serve needs a Prefect server: start one with `prefect server start`, then set "
                          "PREFECT_API_URL=http://127.0.0.1:4200/api (or `prefect config set PREFECT_API_URL=...`)")
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is not None:
        raise ConfigError(f"cannot reach the Prefect server at PREFECT_API_URL={url} ({type(problem).__name__}: "
                          f"{problem}); is `prefect server start` running?")
    return url


def serve(inputs: Sequence[str], out: str | Path, cron: str = DEFAULT_CRON, config: str | Path | None = None,
          name: str = DEFAULT_NAME) -> None:
    """Serve `clean_corpus` as deployment `clean_corpus/<name>` with a cron schedule; blocks."""
    parameters = deployment_parameters(inputs, out, config)
    check_cron(cron)
    check_server()
    from flows.clean import clean_corpus

    clean_corpus.serve(
        name=name,
        cron=cron,
        parameters=parameters,
        description=f"docprep: clean {', '.join(parameters['inputs'])} into {parameters['out']}",
        tags=["docprep"],
    )
