"""What happens to a case, announced for the apps above `cases` (workflow, licences, portal, supervision).

Each signal is sent inside the transaction of the act, after the case row has its new state, with
`sender=Case` and the keyword arguments `case`, `actor` and `on` (the day of the act). A receiver that
writes joins the act's transaction (an error rolls the act back); side effects that leave the database
(mail, SMS, files) belong in `transaction.on_commit`. `cases` imports none of its listeners.
"""

from django.dispatch import Signal

case_received = Signal()  # 收件 (window, online, agent): kwargs channel
case_notified = Signal()  # 一次性告知 before acceptance: kwargs notice
case_accepted = Signal()  # 受理: the clock runs; a back-office process may start
case_returned = Signal()  # 退回补正: the back office asked the applicant for materials (kwargs: notice)
case_resumed = Signal()  # 补正完成: the applicant supplied what a return asked for; the back office goes on
case_withdrawn = Signal()  # 撤回: open work on the case stops
case_decided = Signal()  # 作出决定: kwargs approve, note
case_delivered = Signal()  # 送达办结: kwargs method
case_extended = Signal()  # 延长期限 (行政许可法 art. 42): kwargs days, reason
case_revoked = Signal()  # 撤销许可: a false informed commitment (告知承诺不实); kwargs reason
materials_reused = Signal()  # 免提交: materials satisfied by offers of reuse.py; kwargs offers (list of Offer), mode ("online"|"window"|…)
