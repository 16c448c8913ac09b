import time

from django.core.management.base import BaseCommand
from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.core import schedule
from tongban.workcal.days import is_working_day
from tongban.workcal.models import ScheduleRun


def run_due(now=None) -> list[str]:
    """Enqueue every registered job (core.schedule) whose time has come today: each once per day, however many
    schedulers are running; on a day off only the `every_day` housekeeping. The job is given the day it is for."""
    now = timezone.localtime(now)
    started = []
    working = is_working_day(now.date()).working
    for job in schedule.jobs():
        if not (working or job.every_day) or now.time() < job.at:
            continue
        try:
            with transaction.atomic():
                ScheduleRun.objects.create(name=job.name, day=now.date())
                schedule.run_job.enqueue(job.name, now.date().isoformat())
        except IntegrityError:
            continue  # already enqueued today (by this or another scheduler)
        started.append(job.name)
    return started


class Command(BaseCommand):
    help = "每个工作日早晨将电子监察亮灯扫描等定时任务(各应用登记于 core.schedule)加入队列(由 db_worker 执行)。--once 运行一次后退出(适合 cron)。"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=int, default=60)

    def handle(self, *args, once=False, interval=60, **options):
        while True:
            for name in run_due():
                self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M} 已加入队列:{name}")
            for name, check in schedule.ticks().items():
                done = check()
                if done:
                    self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M} {name}:{done}")
            if once:
                return
            time.sleep(interval)
