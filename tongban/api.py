"""Assembles the apps' routers into one API at /api/v1/ (OpenAPI 3.1 at /api/v1/openapi.json)."""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tongban.core.api import router as core_router
from tongban.core.errors import DomainError
from tongban.core.hygiene import StrictJSONParser

ERROR_DESCRIPTIONS = {
    400: "业务规则不允许(中文说明,见 code 与 field)", 401: "未登录或接口令牌无效", 403: "超出角色或管辖范围",
    404: "未找到(或无权查看,二者回答相同)", 409: "当前状态不允许该操作", 413: "请求体过大", 422: "参数不符合接口定义",
}


class TongbanAPI(NinjaAPI):
    """Every operation declares every error answer it can give, with the one error body (ErrorOut): 400, 404,
    413 and 422 everywhere; 401, 403 and 409 where the operation needs a login."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        from tongban.core.schemas import ErrorOut

        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}"))
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                codes = [400, 404, 413, 422] + ([401, 403, 409] if operation.get("security") else [])
                for code in codes:
                    responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code], "content": body})
        return schema


api = TongbanAPI(
    title="通办 tongban API",
    version="1.0.0",
    description="一体化政务服务平台接口:事项目录、办事指南、一件事、标识校验。错误以 JSON 返回:{code, message, field?}。",
    urls_namespace="api",
    parser=StrictJSONParser(),
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    fields = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("query", "path", "body")]
        fields.append(".".join(loc) or "请求")
    message = "请求参数有误:" + "、".join(dict.fromkeys(fields)) + " 的值无效"
    if any(err.get("type") in ("less_than_equal", "greater_than_equal", "less_than", "greater_than") for err in exc.errors):
        message = "请求参数超出范围:" + "、".join(dict.fromkeys(fields))
    return api.create_response(request, {"code": "invalid_input", "message": message, "field": fields[0] if fields else None,
                                         "details": exc.errors}, status=422)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    """ninja wraps a body its parser refuses in HttpError(400): answer with the parser's own code and message."""
    if isinstance(exc.__cause__, DomainError):
        return domain_error(request, exc.__cause__)
    code = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
            429: "throttled"}
    message = {"Cannot parse request body": "请求体无法解析", "Too many requests.": "请求过于频繁,请稍后再试"}.get(str(exc), str(exc))
    return api.create_response(request, {"code": code.get(exc.status_code, "http_error"), "message": message}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"code": "unauthenticated", "message": "请先登录,或在 Authorization 头中提供有效的接口令牌"}, status=401)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"code": "not_found", "message": "未找到"}, status=404)


api.add_router("/identifiers", core_router, tags=["标识校验"])

from tongban.catalog.api import router as catalog_router  # noqa: E402

api.add_router("", catalog_router, tags=["事项目录"])

from tongban.workcal.api import router as workcal_router  # noqa: E402

api.add_router("/calendar", workcal_router, tags=["工作日历"])

from tongban.cases.api import router as cases_router  # noqa: E402

api.add_router("/cases", cases_router, tags=["办件受理与出件"])

from tongban.workflow.api import router as workflow_router  # noqa: E402

api.add_router("/workflow", workflow_router, tags=["后台审批"])

from tongban.projects.api import router as projects_router  # noqa: E402

api.add_router("/projects", projects_router, tags=["投资项目与帮代办"])
from tongban.licences.api import router as licences_router  # noqa: E402

api.add_router("/licences", licences_router, tags=["电子证照"])
from tongban.ratings.api import public as ratings_public  # noqa: E402
from tongban.ratings.api import router as ratings_router  # noqa: E402

api.add_router("/ratings", ratings_router, tags=["好差评"])
api.add_router("/ratings", ratings_public, tags=["好差评"])

from tongban.portal.api import public as portal_public  # noqa: E402
from tongban.portal.api import gateway as payment_gateway  # noqa: E402
from tongban.portal.api import router as portal_router  # noqa: E402

api.add_router("/my", portal_public, tags=["网上办事(申请人)"])
api.add_router("/my", portal_router, tags=["网上办事(申请人)"])
api.add_router("/payments", payment_gateway, tags=["缴费"])
from tongban.supervision.api import router as supervision_router  # noqa: E402

api.add_router("/supervision", supervision_router, tags=["电子监察"])

from tongban.exchange.api import router as exchange_router  # noqa: E402

api.add_router("/exchange", exchange_router, tags=["数据上报"])
