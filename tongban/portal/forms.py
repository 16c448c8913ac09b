"""Two doors: applicants sign in at /my/login/ with their ID number, staff at /accounts/login/; each refuses the
other's accounts. Both go through the same backends (django-axes throttling) and password rules."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from tongban.cases import accounts


class ApplicantLoginForm(AuthenticationForm):
    username = forms.CharField(label="身份证号码", max_length=18, widget=forms.TextInput(attrs={"autocomplete": "username"}))

    def clean_username(self):
        value = (self.cleaned_data.get("username") or "").strip()
        return value.upper() if len(value) == 18 else value  # a trailing x of an ID number is X

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not accounts.is_applicant_account(user):
            raise forms.ValidationError("该账号不是网上办事账号,工作人员请从“工作人员登录”进入", code="not_applicant")


class StaffLoginForm(AuthenticationForm):
    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if accounts.is_applicant_account(user) and not user.is_staff and not user.grants.exists():
            raise forms.ValidationError("网上办事账号请从“网上办事登录”进入", code="applicant")


class RegisterForm(forms.Form):
    id_number = forms.CharField(label="身份证号码", max_length=18)
    name = forms.CharField(label="姓名", max_length=60)
    phone = forms.CharField(label="手机号码", max_length=11)
    password = forms.CharField(label="密码(至少12位)", max_length=128, widget=forms.PasswordInput)
    password2 = forms.CharField(label="再次输入密码", max_length=128, widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致")
        return data
