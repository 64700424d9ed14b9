"""What `/readyz` says: read back yet, and every background task running or named as failing."""

from __future__ import annotations

from typing import Any

from services.siak_monitor.maintenance_service import MaintenanceService
from services.siak_monitor.monitoring import Monitor
from services.siak_monitor.replica import Standing
from services.siak_monitor.running import PROBE_TASK_PREFIX
from shared.supervision import Supervisor


def readiness(
    monitor: Monitor,
    maintenance: MaintenanceService,
    supervisor: Supervisor,
    standing: Standing = Standing.ACTIVE,
) -> tuple[bool, dict[str, Any]]:
    """Whether the monitor is ready, and the body that says why.

    A standby replica (another one owns the shard) is ready: it is healthy and can take over,
    and counting it unready would let no node drain (its PodDisruptionBudget). A replica the
    group has not answered yet is not.

    Ready once what earlier runs published has been read back (so `seq` can continue) and no
    task has failed for longer than the supervisor's threshold; `failing` names those that
    have. `tasks` details each task but the probes, one per watched region: 514 of them would
    bury the rest, so `probes` counts them (`running`, `restarts`) and lists only the regions
    whose probe is failing (by region code). `exhausted_regions` names the regions read back
    at the greatest (epoch, seq), which nothing can follow (see `StatusBoard`): the other
    regions publish on, so the monitor stays ready.
    """
    failing = supervisor.failing()
    if standing != Standing.ACTIVE:
        ready = standing == Standing.STANDBY and not failing
        waiting = "standby: another replica probes and publishes"
        return ready, {
            "status": waiting if standing == Standing.STANDBY else "joining the replicas' group",
            "standing": standing.value,
            "failing": failing,
            "tasks": supervisor.report(),
        }
    restored = monitor.restored.is_set() and maintenance.ready
    tasks: dict[str, dict[str, object]] = {}
    probes: dict[str, Any] = {"running": 0, "restarts": 0, "failing": []}
    for name, state in supervisor.report().items():
        if not name.startswith(PROBE_TASK_PREFIX):
            tasks[name] = state
            continue
        probes["running"] += 1 if state["running"] else 0
        probes["restarts"] += state["restarts"]
        if state["failing"]:
            probes["failing"].append(name.removeprefix(PROBE_TASK_PREFIX))
    if monitor.topic_misconfiguration:
        status = f"cannot start: {monitor.topic_misconfiguration}"
    elif failing:
        status = f"background tasks failing: {', '.join(failing)}"
    else:
        status = "ready" if restored else "reading back published statuses"
    body = {
        "status": status,
        "standing": standing.value,
        "pending_events": monitor.pending_count(),
        "exhausted_regions": monitor.watched.board.exhausted(),
        "failing": failing,
        "tasks": tasks,
        "probes": probes,
    }
    return restored and not failing, body
