"""Links shown to a role never lead to a 403: the header shows each staff link only to the roles that may follow it."""

import re

import pytest

from tests import factories

pytestmark = pytest.mark.django_db
LINKS = {"受理工作台": "/hall/", "审批待办": "/office/", "电子证照": "/licences/", "电子监察": "/supervision/", "预警名单": "/supervision/warnings/", "数据上报": "/exchange/", "管理后台": "/admin/", "投资项目": "/projects/"}


def header_links(client) -> dict[str, str]:
    html = client.get("/").content.decode()
    nav = re.search(r'<span class="ms-md-3 small" id="staff-nav">(.*?)</span>', html, re.S).group(1)
    return {name: href for href, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav)}


@pytest.mark.parametrize("role, staff, shown", [
    ("window_clerk", False, {"受理工作台", "电子证照", "投资项目"}),
    ("agent", False, {"受理工作台", "投资项目"}),
    ("reviewer", False, {"审批待办", "电子证照"}),
    ("bureau_leader", False, {"审批待办", "电子证照", "预警名单"}),
    ("supervisor", True, {"电子监察", "投资项目"}),  # no admin page lists anything for a supervisor
    ("catalog_admin", True, {"管理后台"}),
    ("reviewer", True, {"审批待办", "电子证照"}),  # a staff flag without an admin page of the role's own: no 管理后台
])
def test_each_role_sees_the_links_it_may_follow_and_each_opens(client, role, staff, shown):
    user = factories.grant(factories.UserFactory(is_staff=staff), role)
    client.force_login(user)
    links = header_links(client)
    assert set(links) == shown
    for name, href in links.items():
        assert href == LINKS[name]
        assert client.get(href).status_code == 200, name


def test_a_system_administrator_sees_every_link_and_each_opens(client):
    client.force_login(factories.grant(factories.UserFactory(is_staff=True), "system_admin"))
    links = header_links(client)
    assert set(links) == set(LINKS)
    assert all(client.get(href).status_code == 200 for href in links.values())


def test_visitors_see_only_the_login_link(client):
    html = client.get("/").content.decode()
    assert "工作人员登录" in html and "staff-nav" not in html


@pytest.mark.parametrize("role", ["window_clerk", "reviewer", "bureau_leader", "supervisor", "system_admin"])
def test_the_back_office_button_flags_match_what_the_pages_answer(client, role):
    """workflow's templates show 审批决定队列 and 超期督办 by these flags (the lead's templates use them on merge)."""
    from django.template import Context, Template
    from django.test import RequestFactory

    user = factories.grant(factories.UserFactory(), role)
    request = RequestFactory().get("/")
    request.user = user
    flags = Template("{% load nav %}{% nav_links as nav %}{{ nav.decisions }} {{ nav.escalations }}").render(Context({"request": request}))
    decisions, escalations = (f == "True" for f in flags.split())
    client.force_login(user)
    assert (client.get("/office/escalations/").status_code == 200) == escalations
    if decisions:
        assert client.get("/office/decisions/").status_code == 200
