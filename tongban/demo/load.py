"""Load the demo once, app by app from the bottom up: the organisation, the catalogue, the back-office
processes, then the cases at the window and in the back office. A second run changes nothing and reports
what is there. The apps' loaders know nothing of each other; this module is the only one that calls them all."""

from django.db import transaction

from tongban.cases import demo as cases_demo
from tongban.catalog import demo as catalog_demo
from tongban.catalog.models import Item
from tongban.licences import demo as licences_demo
from tongban.exchange import demo as exchange_demo
from tongban.org import demo as org_demo
from tongban.org.models import User
from tongban.projects import demo as projects_demo
from tongban.portal import demo as portal_demo
from tongban.supervision import summary as supervision_summary
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
    licences_demo.load_types()  # before the cases: an approval issues the licence its item names
    result["subscriptions"] = exchange_demo.load_subscriptions(admin)
    result["cases"] = cases_demo.load_cases() + workflow_demo.load_back_office_cases()
    result["accounts"] += projects_demo.load_setup(admin)
    result["cases"] += projects_demo.load_project()
    result["licences"] = licences_demo.load_licences()
    result["accounts"] += portal_demo.load_accounts()
    if result["cases"] or not supervision_summary.built():  # the dashboard reads the daily summary from the start
        result["summary_rows"] = supervision_summary.rebuild()
    return result
