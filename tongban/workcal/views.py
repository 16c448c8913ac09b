from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from tongban.core.errors import DomainError
from tongban.org.models import Role
from tongban.org.scopes import has_role

from . import selectors, services


@login_required
def notice_page(request):
    """录入国务院办公厅节假日安排通知(CSV 或 Excel:日期, 休/班, 名称)."""
    if not has_role(request.user, Role.SYSTEM_ADMIN):
        return render(request, "workcal/notice.html", {"forbidden": True}, status=403)
    if request.method == "POST":
        try:
            year = int(request.POST.get("year", ""))
            upload = request.FILES.get("file")
            if upload is None:
                raise DomainError("file_required", "请选择文件", field="file")
            rows = services.parse_notice(upload, year)
            services.publish_year(request.user, year, rows, request.POST.get("source", ""))
            messages.success(request, f"{year}年节假日安排已录入,相关推算期限将在后台重算。")
            return redirect("workcal:notice")
        except ValueError:
            messages.error(request, "请填写年份")
        except DomainError as e:
            messages.error(request, e.message)
    return render(request, "workcal/notice.html", {"years": selectors.years(), "next_year": timezone.localdate().year + 1})
