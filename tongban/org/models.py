from django.contrib.auth.models import AbstractUser
from django.db import models

from tongban.core.errors import DomainError
from tongban.core.identifiers import validate_uscc


class Level(models.IntegerChoices):
    PROVINCE = 1, "省级"
    CITY = 2, "市级"
    COUNTY = 3, "县级"
    TOWN = 4, "乡级"
    VILLAGE = 5, "村级"


class Region(models.Model):
    """A node of the five-level tree. `path` ("370000/370800/370881/") makes subtree checks a prefix match."""

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=50)
    level = models.PositiveSmallIntegerField("层级", choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级")
    path = models.CharField(max_length=120, db_index=True, editable=False)
    valid_from = models.DateField("启用日期", null=True, blank=True, help_text="空:代码表收录以来一直有效")
    valid_to = models.DateField(
        "停用日期", null=True, blank=True, help_text="撤销或变更的区划自该日起停用;此前日期的记录仍以该代码为有效",
    )
    note = models.CharField("变更说明", max_length=200, blank=True, help_text="如:经国务院批准撤县设市(民政部公告)")

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent else "") + self.code + "/"
        super().save(*args, **kwargs)

    def in_force(self, on) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on < self.valid_to)

    def contains(self, other: "Region") -> bool:
        return other.path.startswith(self.path)

    @property
    def code6(self) -> str:
        """The GB/T 2260 code of this region or of the county it lies in (towns have 9-digit codes)."""
        return self.code[:6]


class Department(models.Model):
    name = models.CharField("部门名称", max_length=80)
    short_name = models.CharField("简称", max_length=30, blank=True)
    function = models.CharField("职能代码", max_length=40, help_text="同一职能在各级的部门用同一代码,用于市县同权下放时对应实施部门")
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments", verbose_name="所属区划")
    is_approval_bureau = models.BooleanField("行政审批服务局", default=False)
    order = models.PositiveIntegerField("排序", default=100)

    class Meta:
        verbose_name = verbose_name_plural = "部门"
        ordering = ["region__code", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="department_name_unique_in_region")]

    def __str__(self):
        return self.name

    def clean(self):
        try:
            self.credit_code = validate_uscc(self.credit_code)
        except DomainError as e:
            from django.core.exceptions import ValidationError

            raise ValidationError({"credit_code": e.message}) from None


class Hall(models.Model):
    name = models.CharField("大厅名称", max_length=80)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="halls", verbose_name="所属区划")
    address = models.CharField("地址", max_length=200)
    phone = models.CharField("咨询电话", max_length=40, blank=True)
    hours = models.CharField("办公时间", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "政务服务大厅"

    def __str__(self):
        return self.name


class Zone(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="zones", verbose_name="大厅")
    name = models.CharField("功能区", max_length=40)
    order = models.PositiveIntegerField("排序", default=100)

    class Meta:
        verbose_name = verbose_name_plural = "功能区"
        ordering = ["hall", "order"]
        constraints = [models.UniqueConstraint(fields=["hall", "name"], name="zone_name_unique_in_hall")]

    def __str__(self):
        return f"{self.hall.name}·{self.name}"


class Window(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="windows", verbose_name="大厅")
    number = models.CharField("窗口号", max_length=10)
    name = models.CharField("窗口名称", max_length=60)
    comprehensive = models.BooleanField("无差别综合受理", default=False, help_text="综合窗口可受理任何事项;否则只受理所属功能区的事项")
    zones = models.ManyToManyField(Zone, blank=True, related_name="windows", verbose_name="所属功能区")
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "窗口"
        ordering = ["hall", "number"]
        constraints = [models.UniqueConstraint(fields=["hall", "number"], name="window_number_unique_in_hall")]

    def __str__(self):
        return f"{self.number}号窗口 {self.name}"


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=40, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "工作人员"

    def __str__(self):
        return self.display_name or self.username


class Role(models.TextChoices):
    WINDOW_CLERK = "window_clerk", "综合受理窗口人员"
    REVIEWER = "reviewer", "后台审批人员"
    BUREAU_LEADER = "bureau_leader", "审批局负责人"
    AGENT = "agent", "帮代办员"
    SUPERVISOR = "supervisor", "督查人员"
    CATALOG_ADMIN = "catalog_admin", "事项管理员"
    SYSTEM_ADMIN = "system_admin", "系统管理员"


class RoleGrant(models.Model):
    """A role held within a scope: the region subtree, narrowed to one department when set."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants", verbose_name="人员")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="区划范围")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="部门范围")
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="所在窗口")

    class Meta:
        verbose_name = verbose_name_plural = "角色授权"
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "region", "department"], condition=models.Q(department__isnull=False), name="grant_unique_department"),
            models.UniqueConstraint(fields=["user", "role", "region"], condition=models.Q(department__isnull=True), name="grant_unique_region"),
        ]

    def __str__(self):
        scope = self.department.name if self.department else self.region.name
        return f"{self.user} · {self.get_role_display()} · {scope}"


class ApiToken(models.Model):
    """A bearer token for machine clients (kiosks, other systems): only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="人员")
    name = models.CharField("用途", max_length=60)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"

    def __str__(self):
        return f"{self.user} · {self.name}"

    @staticmethod
    def digest(key: str) -> str:
        import hashlib

        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple["ApiToken", str]:
        import secrets

        key = "tb_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, key_hash=cls.digest(key)), key
