"""The Prefect deployment definition of the production topology: the escalation sweep (when
work falls due, and on an interval as a safety net) and apply-decision on demand, both on a
process work pool.

    PREFECT_API_URL=http://prefect.internal:4200/api \\
        .venv/bin/python deploy/prefect_deployments.py --pool engage [--interval 3600]

Workers (`engage worker --pool engage`) register the same deployments when they start, so
running this is optional: it lets a release register them before any worker is up, and
shows what the workers will be given. The deployments themselves are defined in Python in
workflows/deployments.py (flow, entrypoint, schedule), next to the flows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", required=True, help="the process work pool, e.g. engage")
    parser.add_argument("--interval", type=int, default=int(
        os.environ.get("ENGAGE_SWEEP_INTERVAL_SECONDS", "3600")),
        help="the longest gap between sweeps (default: ENGAGE_SWEEP_INTERVAL_SECONDS or 3600)")
    args = parser.parse_args(argv)
    if not os.environ.get("PREFECT_API_URL"):
        parser.error("set PREFECT_API_URL to the Prefect server's API")
    if args.interval <= 0:
        parser.error("--interval must be a positive number of seconds")
    from workflows.deployments import deployments, register_on_pool
    from workflows.names import DEPLOYMENTS

    ids = asyncio.run(register_on_pool(args.pool, deployments(args.interval)))
    for name, deployment_id in zip(DEPLOYMENTS, ids, strict=True):
        print(f"{name}: {deployment_id} on pool {args.pool}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
