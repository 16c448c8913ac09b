from django.core.management.base import BaseCommand, CommandError

from tongban.core.audit import verify_all
from tongban.core.models import AuditEvent, AuditSeal


class Command(BaseCommand):
    help = "校验审计日志哈希链与日封;报告第一处断链。"

    def handle(self, *args, **options):
        problems = verify_all()
        if problems:
            for p in problems:
                self.stderr.write(p)
            raise CommandError(f"审计日志校验失败:{len(problems)}处问题,第一处:{problems[0]}")
        self.stdout.write(self.style.SUCCESS(
            f"审计日志完整:{AuditEvent.objects.count()}条记录,{AuditEvent.objects.values('chain').distinct().count()}条链,{AuditSeal.objects.count()}个日封"
        ))
