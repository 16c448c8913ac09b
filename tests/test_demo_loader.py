"""The demo loader sits above every app (tongban.demo) and calls each app's own loader."""

import io

import pytest
from django.core.management import call_command, get_commands

from tongban.cases.models import Case
from tongban.catalog.models import Item
from tongban.workflow.models import Process

pytestmark = pytest.mark.django_db


def test_load_demo_loads_the_organisation_catalogue_processes_and_cases_once():
    assert get_commands()["load_demo"] == "tongban.demo"  # the loader above every app; catalog has none of its own
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "演示数据已载入" in out.getvalue() and "演示账号" in out.getvalue()
    counts = Item.objects.count(), Process.objects.count(), Case.objects.count()
    assert all(counts)
    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert "未重复载入" in again.getvalue()
    assert (Item.objects.count(), Process.objects.count(), Case.objects.count()) == counts
