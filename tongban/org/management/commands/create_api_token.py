from django.core.management.base import BaseCommand, CommandError

from tongban.org.models import ApiToken, User


class Command(BaseCommand):
    help = "为工作人员签发接口令牌(只显示一次)。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="接口调用")

    def handle(self, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户 {username}")
        _, key = ApiToken.issue(user, name)
        self.stdout.write(key)
