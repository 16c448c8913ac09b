"""Load the demo once, app by app from the bottom up: the organisation, the catalogue, the back-office
processes, then the cases at the window and in the back office. A second run changes nothing and reports
what is there. The apps' loaders know nothing of each other; this module is the only one that calls them all."""

from django.db import transaction

from tongban.cases import demo as cases_demo
from tongban.catalog import demo as catalog_demo
from tongban.catalog.models import Item
from tongban.exchange import demo as exchange_demo
from tongban.org import demo as org_demo
from tongban.org.models import User
from tongban.workflow import demo as workflow_demo


def load_all() -> dict:
    data = catalog_demo.read_data()
    org_demo.load_towns()
    org_demo.load_departments(data["departments"])
    org_demo.load_halls(data["zones"])
    result = {"accounts": org_demo.load_staff(), "loaded_now": False}
    admin = User.objects.get(username="admin")
    if not catalog_demo.is_loaded():
        with transaction.atomic():
            result.update(catalog_demo.load_catalogue(admin, data))
        result["loaded_now"] = True
    result.setdefault("items", Item.objects.count())
    result["accounts"] += workflow_demo.load_processes(admin)
    result["subscriptions"] = exchange_demo.load_subscriptions(admin)
    result["cases"] = cases_demo.load_cases() + workflow_demo.load_back_office_cases()
    return result
