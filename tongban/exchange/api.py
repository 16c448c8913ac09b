"""数据上报 API: a system administrator subscribes a receiving system, reads its delivery log and replays from a
point in time — the same service functions as the page."""

import datetime as dt

from ninja import Field, Query, Router, Schema, Status

from tongban.core.errors import NotAllowed, NotFound
from tongban.core.schemas import answers
from tongban.org.auth import STAFF_AUTH
from tongban.org.models import Role
from tongban.org.scopes import has_role

from . import services
from .models import DeliveryAttempt

router = Router(auth=STAFF_AUTH)


class SubscriptionIn(Schema):
    name: str = Field(..., max_length=60, description="接收系统名称,如 山东省电子监察系统")
    url: str = Field(..., max_length=300, description="接收地址(http/https)")
    region: str = Field(..., max_length=12, description="上报区划代码:其下级全部办件的事件")
    kinds: list[str] = Field([], max_length=20, description="上报事件类型(空:全部):" + "、".join(services.KINDS))
    secret: str = Field("", max_length=128, description="签名密钥(16–128字符;空则自动生成)")


class SubscriptionOut(Schema):
    id: int
    name: str
    url: str
    region: str
    kinds: list[str]
    active: bool
    secret_masked: str = Field(..., description="签名密钥(脱敏,仅末四位);密钥加密存储,不再返回原文")


class CreatedOut(SubscriptionOut):
    secret: str | None = Field(None, description="自动生成的签名密钥:HMAC-SHA256(密钥, 时间戳 + '.' + 请求体),"
                                                 "仅在本次新增答复中返回一次;自行提供密钥时为空(不回显)")


class ReplayIn(Schema):
    since: dt.datetime = Field(..., description="重放起点:此时刻(含)以后的事件再次投递")


class ReplayOut(Schema):
    events: int


class AttemptOut(Schema):
    at: dt.datetime
    key: str = Field(..., description="事件幂等键(Idempotency-Key)")
    kind: str
    case: str
    status: int | None = Field(None, description="接收方 HTTP 状态;未连接为空")
    error: str
    replay: bool
    delivery_state: str = Field(..., description="pending 待投递(含等待重试)/ delivered 已送达 / dead 多次失败已停止")
    attempts: int
    next_attempt_at: dt.datetime | None


def _admin(request):
    if not has_role(request.auth, Role.SYSTEM_ADMIN):
        raise NotAllowed("仅系统管理员可以管理数据上报")


def _out(s) -> dict:
    return {"id": s.id, "name": s.name, "url": s.url, "region": s.region.code, "kinds": s.kinds, "active": s.active,
            "secret_masked": s.masked_secret}


def _visible(request, pk: int):
    sub = services.visible_subscriptions(request.auth).select_related("region").filter(pk=pk).first()
    if sub is None:
        raise NotFound("未找到该订阅")
    return sub


@router.get("/subscriptions", response=answers(list[SubscriptionOut]), summary="本人管理区划的上报订阅")
def subscriptions(request):
    _admin(request)
    return [_out(s) for s in services.visible_subscriptions(request.auth).select_related("region").order_by("id")]


@router.post("/subscriptions", response=answers(CreatedOut, 201), summary="新增上报订阅(签名 webhook)")
def subscribe(request, data: SubscriptionIn):
    _admin(request)
    sub = services.create_subscription(request.auth, name=data.name, url=data.url, region_code=data.region, kinds=data.kinds, secret=data.secret)
    return Status(201, {**_out(sub), "secret": None if data.secret.strip() else sub.secret})


@router.post("/subscriptions/{pk}/replay", response=answers(ReplayOut), summary="从某一时刻起重放事件(接收方按幂等键去重)")
def replay(request, pk: int, data: ReplayIn):
    _admin(request)
    return {"events": services.replay(request.auth, _visible(request, pk), data.since)}


@router.get("/subscriptions/{pk}/log", response=answers(list[AttemptOut]), summary="投递日志(新在前)")
def log(request, pk: int, limit: int = Query(100, ge=1, le=1000)):
    _admin(request)
    sub = _visible(request, pk)
    rows = DeliveryAttempt.objects.filter(delivery__subscription=sub).select_related("delivery__event")[:limit]
    return [{"at": a.at, "key": str(a.delivery.event.key), "kind": a.delivery.event.kind, "case": a.delivery.event.case_number,
             "status": a.status, "error": a.error, "replay": a.replay, "delivery_state": a.delivery.state,
             "attempts": a.delivery.attempts, "next_attempt_at": a.delivery.next_attempt_at} for a in rows]
