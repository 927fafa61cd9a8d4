"""The Celery application: embedded default on a filesystem broker, scaled mode on Redis.

Job state lives in our database (backend.jobs), so no result backend is configured.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_ready

from backend.core.config import Settings, get_settings


def make_celery(settings: Settings) -> Celery:
    app = Celery("moteforge", broker=settings.celery_broker_url)
    conf: dict = {
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
        "imports": ["backend.jobs.tasks"],
        "task_default_queue": settings.task_queue,
    }
    if settings.celery_broker_url.startswith("filesystem"):
        folder = settings.broker_folder
        (folder / "queue").mkdir(parents=True, exist_ok=True)
        (folder / "processed").mkdir(parents=True, exist_ok=True)
        (folder / "control").mkdir(parents=True, exist_ok=True)
        conf["broker_transport_options"] = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            # Broadcast (pidbox) state; by default kombu would write it into the working directory.
            "control_folder": str(folder / "control"),
            "store_processed": False,
            "polling_interval": 0.05,
        }
    elif settings.celery_broker_url.startswith("redis"):
        # A job killed mid-run is re-delivered after this; the reaper usually acts first.
        conf["broker_transport_options"] = {"visibility_timeout": 3600}
    app.conf.update(conf)
    return app


celery_app = make_celery(get_settings())


@worker_ready.connect
def _reap_on_start(**_: object) -> None:
    from backend.core.db import session_scope
    from backend.jobs.service import reap_stale

    with session_scope() as s:
        reap_stale(s)
