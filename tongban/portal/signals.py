"""The applicant hears of what the window and the back office ask: a one-time notice (一次性告知) or a
return for correction (审查退回) reaches the applicant's page, and the phone by SMS on commit."""

from django.dispatch import receiver

from tongban.cases import events
from tongban.cases.models import Case
from tongban.cases.sms import tell


@receiver(events.case_notified, sender=Case, dispatch_uid="portal_tell_notice")
def tell_notice(sender, case, notice, **kwargs):
    names = "、".join(i["name"] for i in notice.data.get("items", []))
    tell(case.applicant, f"您的办件{case.number}({case.title})需补正材料,一次性告知:{names}。请登录网上办事大厅在线补正。", case=case,
         kind="notice")


@receiver(events.case_returned, sender=Case, dispatch_uid="portal_tell_return")
def tell_return(sender, case, notice, **kwargs):
    tell(case.applicant, f"您的办件{case.number}({case.title})经审查需补正(一次性告知):{notice.data.get('text', '')[:150]}。"
                         "请登录网上办事大厅在线补正,补正期间时限暂停。", case=case, kind="notice")
