"""`docwatch run`: each source on its own APScheduler schedule, one check of a source at a time."""

from __future__ import annotations

import logging
import random
import signal
import threading

from . import pipeline
from .config import Config, seconds
from .models import Source
from .store import Store

log = logging.getLogger(__name__)


def trigger(source: Source, timezone: str = "UTC"):
    """The APScheduler trigger of a source: `cron` if set, else `every`, with jitter."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if source.cron:
        return CronTrigger.from_crontab(source.cron, timezone=timezone)
    interval = seconds(source.every or "6h")
    # Spread sources over their interval so a hundred pages do not all fire at once.
    return IntervalTrigger(seconds=interval, jitter=max(1, interval // 10), timezone=timezone)


def run(config: Config, store: Store) -> None:
    """Block, checking every source on its schedule, until SIGINT or SIGTERM."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    lock = threading.Lock()  # one SQLite connection: checks take turns writing

    def check(source: Source) -> None:
        with lock:
            for result in pipeline.check_all([source], store, targets=config.notify):
                if result.ok:
                    log.info("%s: %s, %d change(s)", result.source, result.status, len(result.changes))
                else:
                    log.warning("%s: %s (%s)", result.source, result.error, result.error_kind)

    scheduler = BlockingScheduler(timezone=config.timezone)
    for source in config.sources:
        scheduler.add_job(
            check, trigger(source, config.timezone), args=[source], id=source.name,
            name=source.name, max_instances=1, coalesce=True, misfire_grace_time=3600,
            next_run_time=_first_run(),
        )

    def stop(signum, _frame):
        log.info("signal %s: stopping after running checks finish", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("watching %d source(s)", len(config.sources))
    scheduler.start()


def _first_run():
    from datetime import datetime, timedelta, timezone

    return datetime.now(timezone.utc) + timedelta(seconds=random.uniform(0, 5))
