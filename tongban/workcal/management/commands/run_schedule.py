import datetime as dt
import time

from django.core.management.base import BaseCommand
from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.workcal.days import is_working_day
from tongban.workcal.models import ScheduleRun
from tongban.workcal.tasks import auto_accept_task, scan_clocks_task, seal_audit_task, sweep_uploads_task

# name, local time, task: each runs once per working day, however many schedulers are running;
# the task is given the day it is for.
JOBS = [
    ("seal_audit", dt.time(6, 0), seal_audit_task),
    ("auto_accept", dt.time(6, 15), auto_accept_task),
    ("scan_clocks", dt.time(6, 30), scan_clocks_task),
    ("sweep_uploads", dt.time(3, 0), sweep_uploads_task),
]


def run_due(now=None) -> list[str]:
    now = timezone.localtime(now)
    started = []
    working = is_working_day(now.date()).working
    for name, at, task in JOBS:
        if not working and name not in ("seal_audit", "sweep_uploads"):  # housekeeping is due every day
            continue
        if now.time() < at:
            continue
        try:
            with transaction.atomic():
                ScheduleRun.objects.create(name=name, day=now.date())
                task.enqueue(now.date().isoformat())
        except IntegrityError:
            continue  # already enqueued today (by this or another scheduler)
        started.append(name)
    return started


class Command(BaseCommand):
    help = "每个工作日早晨将电子监察亮灯扫描等定时任务加入队列(由 db_worker 执行)。--once 运行一次后退出(适合 cron)。"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=int, default=60)

    def handle(self, *args, once=False, interval=60, **options):
        while True:
            for name in run_due():
                self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M} 已加入队列:{name}")
            if once:
                return
            time.sleep(interval)
