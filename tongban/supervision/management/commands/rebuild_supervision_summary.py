"""Rewrite the 电子监察 daily summary from the cases (after a bulk load such as generate_load, or to repair it)."""

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "重建电子监察日汇总表(按日 × 区划 × 部门 × 事项 × 渠道)"

    def handle(self, *args, **options):
        from tongban.supervision.summary import rebuild

        t = time.perf_counter()
        rows = rebuild()
        self.stdout.write(f"电子监察日汇总:{rows} 行,用时 {time.perf_counter() - t:.1f} 秒")
