"""Post the outbox's due deliveries once (cron, or a loop with --every N seconds): a safety net beside the tasks."""

import time

from django.core.management.base import BaseCommand

from tongban.exchange.services import deliver_due


class Command(BaseCommand):
    help = "投递到期的上报事件(签名 webhook)"

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="每隔 N 秒重复(0:只运行一次)")

    def handle(self, *args, every=0, **options):
        while True:
            self.stdout.write(str(deliver_due()))
            if not every:
                return
            time.sleep(every)
