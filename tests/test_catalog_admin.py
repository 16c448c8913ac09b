"""The catalogue in Django admin follows the 事项管理员 role, not Django's model permissions: the catalogue
administrator of the item's department edits drafts, others see the catalogue read-only, staff without the
role get 403 and no catalogue app; published versions stay read-only for everyone."""

import pytest
from django import forms
from django.contrib.messages import get_messages

from tests import factories
from tongban.catalog import services
from tongban.catalog.models import Bundle, FeeEntry, ItemVersion, Material
from tongban.core.models import AuditEvent

pytestmark = pytest.mark.django_db
VERSIONS = "/admin/catalog/itemversion/"


def staff(user):
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def staff_admin(admin):
    """The 事项管理员 of 济宁市 (as in the demo): staff, no Django model permissions, only the catalogue role."""
    return staff(admin)


@pytest.fixture
def draft(staff_admin, food_item):
    return services.new_draft(staff_admin, food_item)


def change_url(obj):
    return f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/change/"


def unchanged_post(page, **changes):
    """The change form of `page` as a browser posts it without edits, then `changes` (posted names)."""
    ctx = page.context
    formsets = [inline.formset for inline in ctx["inline_admin_formsets"]]
    data = {}
    for form in [ctx["adminform"].form, *(fs.management_form for fs in formsets), *(f for fs in formsets for f in fs.forms)]:
        for name, field in form.fields.items():
            key, value = form.add_prefix(name), form[name].value()
            if isinstance(field, forms.FileField) or (isinstance(field, forms.BooleanField) and not value):
                continue
            data[key] = "on" if isinstance(field, forms.BooleanField) else ("" if value is None else value)
            if field.show_hidden_initial:  # fields with a callable default (the JSON lists) post their initial too
                data[form.add_initial_prefix(name)] = data[key]
    return {**data, **changes, "_save": "保存"}


def test_the_catalogue_admin_sees_the_catalogue_and_edits_a_draft(client, staff_admin, draft):
    client.force_login(staff_admin)
    index = client.get("/admin/").content.decode()
    assert "事项目录" in index and "事项版本(办事指南)" in index and "一件事" in index and "审批流程" in index
    assert change_url(draft) in client.get(VERSIONS).content.decode()

    page = client.get(change_url(draft))
    assert page.status_code == 200 and 'name="_save"' in page.content.decode()
    edits = {"hours_note": "工作日 9:00-17:00", "materials-0-name": "食品经营许可申请书(2024版)"}
    r = client.post(change_url(draft), unchanged_post(page, **edits))
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    draft.refresh_from_db()
    assert draft.hours_note == "工作日 9:00-17:00"
    assert draft.materials.order_by("order").first().name == "食品经营许可申请书(2024版)"
    event = AuditEvent.objects.filter(action="catalog.draft_edited").get()
    assert event.actor_id == staff_admin.pk and event.data == {"version": 2, "fields": ["hours_note", "materials"]}


def _act(client, action, *versions):
    r = client.post(VERSIONS, {"action": action, "_selected_action": [v.pk for v in versions], "index": 0}, follow=True)
    assert r.status_code == 200
    return [str(m) for m in get_messages(r.wsgi_request)] or [str(m) for m in r.context["messages"]]


def test_a_published_version_stays_read_only(client, staff_admin, food_item):
    published = food_item.versions.get()
    client.force_login(staff_admin)
    page = client.get(change_url(published))
    html = page.content.decode()
    assert page.status_code == 200 and 'name="_save"' not in html and 'name="materials-0-name"' not in html
    assert "食品经营许可申请书" in html  # the materials are shown as text
    data = {"name": "改名", "materials-TOTAL_FORMS": 0, "materials-INITIAL_FORMS": 0, "_save": "保存"}
    assert client.post(change_url(published), data).status_code == 403
    assert client.post(f"{VERSIONS}{published.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(VERSIONS, {"action": "delete_selected", "_selected_action": [published.pk], "post": "yes"})
    assert ItemVersion.objects.get(pk=published.pk).name == "食品经营许可"
    assert Material.objects.filter(version=published).count() == 5

    assert _act(client, "draft_from_selected", published)[0].startswith("草稿:")  # the way to change it
    assert food_item.versions.filter(status="draft").count() == 1


def test_another_regions_or_departments_admin_cannot_change_the_draft(client, staff_admin, draft):
    events = AuditEvent.objects.count()
    other_department = factories.DepartmentFactory(name="济宁市卫生健康委员会", function="health")
    for outsider in (staff(factories.catalog_admin("370881")), staff(factories.catalog_admin("370800", other_department))):
        client.force_login(outsider)
        page = client.get(change_url(draft))
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # seen, read-only
        assert client.post(change_url(draft), {"name": "改名", "_save": "保存"}).status_code == 403
        assert client.post(f"{VERSIONS}{draft.pk}/delete/", {"post": "yes"}).status_code == 403
        messages = _act(client, "publish_selected", draft)
        assert "没有" in messages[0] and "事项管理员的权限" in messages[0]
        assert client.post(change_url(draft.item), {"_save": "保存"}).status_code == 403
    draft.refresh_from_db()
    assert draft.name == "食品经营许可" and draft.status == "draft"
    assert AuditEvent.objects.count() == events


def test_staff_without_the_role_get_403_and_no_catalogue(client, food_item):
    clerk = staff(factories.grant(factories.UserFactory(), "window_clerk"))
    client.force_login(clerk)
    index = client.get("/admin/").content.decode()
    assert "事项目录" not in index and "审批流程" not in index
    version = food_item.versions.get()
    for url in (VERSIONS, change_url(version), change_url(food_item), "/admin/catalog/item/", "/admin/catalog/bundle/",
                "/admin/catalog/feeentry/", "/admin/catalog/synonym/add/"):
        assert client.get(url).status_code == 403, url


def test_lists_every_region_shares_are_read_only_for_catalogue_admins(client, staff_admin, admin_client):
    fee = factories.fee()
    client.force_login(staff_admin)
    assert client.get("/admin/catalog/feeentry/").status_code == 200
    page = client.get(change_url(fee))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(change_url(fee), {"code": fee.code, "name": "新收费", "_save": "保存"}).status_code == 403
    assert client.get("/admin/catalog/feeentry/add/").status_code == 403
    assert client.get("/admin/catalog/topic/add/").status_code == 403
    assert 'name="_save"' in admin_client.get(change_url(fee)).content.decode()  # a superuser still maintains it
    assert FeeEntry.objects.get(pk=fee.pk).name == "不动产登记费"


def test_bundles_are_kept_by_a_region_wide_admin_of_their_region(client, staff_admin):
    a = factories.make_item(staff_admin, name="个体工商户设立登记")
    b = factories.make_item(staff_admin)
    bundle = services.save_bundle(staff_admin, code="YJS-CY01", name="我要开饭店", region=factories.region("370881"),
                                  promised_limit=5, items=[a, b])
    client.force_login(staff_admin)
    page = client.get(change_url(bundle))
    assert page.status_code == 200 and 'name="_save"' in page.content.decode()
    r = client.post(change_url(bundle), unchanged_post(page, description="开饭店一次办好"))
    assert r.status_code == 302
    assert Bundle.objects.get(pk=bundle.pk).description == "开饭店一次办好"
    assert AuditEvent.objects.filter(action="catalog.bundle_edited", object_id=str(bundle.pk)).exists()

    county = staff(factories.catalog_admin("370830"))  # 汶上县: neither this bundle nor 济宁市 as a region
    client.force_login(county)
    assert 'name="_save"' not in client.get(change_url(bundle)).content.decode()
    assert client.post(change_url(bundle), {"name": "改名", "_save": "保存"}).status_code == 403
    regions = client.get("/admin/catalog/bundle/add/").context["adminform"].form.fields["region"].queryset
    assert {r.code[:6] for r in regions} == {"370830"}

    department_bound = staff(factories.catalog_admin("370800", a.department))
    client.force_login(department_bound)
    assert client.get("/admin/catalog/bundle/add/").status_code == 403
    assert Bundle.objects.get(pk=bundle.pk).name == "我要开饭店"


def test_admin_screens_speak_chinese_and_link_the_import(client, staff_admin, draft):
    client.force_login(staff_admin)
    page = client.get(change_url(draft)).content.decode()
    assert "Published by" not in page and "发布人" in page
    assert "publicity(公示)" not in page and 'value="publicity"' in page and "公示" in page
    assert 'name="flow"' in page and "[&quot;" not in page  # 办理流程 one step per line, not raw JSON
    r = client.post(change_url(draft), unchanged_post(client.get(change_url(draft)), flow="申请\r\n受理\r\n决定", uncounted_procedures=["publicity"]))
    assert r.status_code == 302, r.content.decode()[-1500:]
    draft.refresh_from_db()
    assert draft.flow == ["申请", "受理", "决定"] and draft.uncounted_procedures == ["publicity"]
    items = client.get("/admin/catalog/item/").content.decode()
    assert 'id="admin-import-link"' in items and "/catalog/import/" in items
    assert "四川省" not in items  # the region filter lists regions with items, not the national table


def test_a_new_draft_from_the_items_own_page(client, staff_admin, food_item):
    client.force_login(staff_admin)
    page = client.get(f"/admin/catalog/item/{food_item.pk}/change/").content.decode()
    assert 'id="new-draft"' in page
    r = client.post(f"/catalog/items/{food_item.implementation_code}/draft/")
    draft = food_item.versions.get(status="draft")
    assert r.status_code == 302 and r["Location"] == f"/admin/catalog/itemversion/{draft.pk}/change/"
    guide = client.get(f"/guide/{food_item.implementation_code}/").content.decode()
    assert 'id="new-draft"' in guide
    client.logout()
    assert 'id="new-draft"' not in client.get(f"/guide/{food_item.implementation_code}/").content.decode()
