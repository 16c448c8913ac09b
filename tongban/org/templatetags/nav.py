"""`{% load nav %}{% nav_links as nav %}`: which staff links the page header shows. A link is shown only to roles
that may follow it (issue #9: no link leads to a 403), read from the same role grants the pages check."""

from django import template
from django.contrib import admin

from tongban.org.models import Role
from tongban.org.scopes import has_role

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_links(context) -> dict[str, bool]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "workbench": has_role(user, Role.WINDOW_CLERK) or has_role(user, Role.AGENT),  # 受理工作台
        "inbox": has_role(user, Role.REVIEWER) or has_role(user, Role.BUREAU_LEADER),  # 审批待办
        "supervision": has_role(user, Role.SUPERVISOR),  # 电子监察
        "projects": any(has_role(user, r) for r in (Role.AGENT, Role.WINDOW_CLERK, Role.SUPERVISOR)),  # 投资项目
        "licences": any(has_role(user, r) for r in (Role.WINDOW_CLERK, Role.REVIEWER, Role.BUREAU_LEADER)),  # 电子证照
        "warnings": has_role(user, Role.BUREAU_LEADER),  # 预警名单 (department heads; supervisors reach it from 电子监察)
        "exchange": has_role(user, Role.SYSTEM_ADMIN),  # 数据上报
        "admin": admin.site.has_permission(request) and bool(admin.site.get_app_list(request)),  # 管理后台: a page it may open
        # for the back office's own buttons (workflow templates): 审批决定队列, 超期督办
        "decisions": has_role(user, Role.BUREAU_LEADER),
        "escalations": any(has_role(user, r) for r in (Role.BUREAU_LEADER, Role.SUPERVISOR)),
    }
