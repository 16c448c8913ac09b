"""Licence types are defined by system administrators (the national catalogue's entries the city uses); the
licences, their status history, consents, uses and reminders are kept by the platform: read here, changed only
through the services (the licence page and the API)."""

from django import forms
from django.contrib import admin

from tongban.core.audit import record
from tongban.core.errors import DomainError
from tongban.core.identifiers import validate_uscc
from tongban.org.admin_access import NobodyWrites, RoleAccess
from tongban.org.models import Role

from .models import Consent, Licence, LicenceType, Reminder, StatusChange, Use


class LicenceTypeForm(forms.ModelForm):
    class Meta:
        model = LicenceType
        fields = "__all__"

    def clean_authority_code(self):
        try:
            return validate_uscc(self.cleaned_data["authority_code"])
        except DomainError as e:
            raise forms.ValidationError(e.message) from None

    def clean_sequence(self):
        value = self.cleaned_data["sequence"]
        if not (value.isascii() and value.isdigit() and len(value) == 3):
            raise forms.ValidationError("顺序码应为3位数字")
        return value

    def clean_face_fields(self):
        fields = self.cleaned_data["face_fields"] or []
        if not isinstance(fields, list) or not all(isinstance(f, dict) and str(f.get("name", "")).strip() for f in fields):
            raise forms.ValidationError('照面信息项应为列表,每项如 {"name": "经营场所", "required": true, "max_length": 100}')
        names = [f["name"] for f in fields]
        if len(names) != len(set(names)):
            raise forms.ValidationError("照面信息项名称不得重复")
        return fields


@admin.register(LicenceType)
class LicenceTypeAdmin(RoleAccess, admin.ModelAdmin):
    role = Role.SYSTEM_ADMIN
    form = LicenceTypeForm
    list_display = ["code", "name", "authority_name", "holder_kind", "validity_years", "active"]
    search_fields = ["code", "name", "authority_name"]
    readonly_fields = ["code"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record(request.user, "licence.type_saved", obj, data={"fields": form.changed_data}, new=not change)


class ReadOnly(NobodyWrites, RoleAccess, admin.ModelAdmin):
    role = Role.SYSTEM_ADMIN


@admin.register(Licence)
class LicenceAdmin(ReadOnly):
    list_display = ["number", "licence_type", "holder_name", "issuer_name", "status", "valid_until", "render_state"]
    list_filter = ["status", "render_state", "licence_type"]
    search_fields = ["identifier", "number", "holder_name"]


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnly):
    list_display = ["licence", "from_status", "to_status", "on", "actor"]


@admin.register(Consent)
class ConsentAdmin(ReadOnly):
    list_display = ["licence", "case", "department", "mode", "given_at"]


@admin.register(Use)
class UseAdmin(ReadOnly):
    list_display = ["licence", "department", "case", "purpose", "allowed", "at"]
    list_filter = ["allowed", "purpose"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnly):
    list_display = ["licence", "threshold", "due_on", "created_on"]
