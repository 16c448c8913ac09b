"""Assembles the apps' routers into one API at /api/v1/ (OpenAPI 3.1 at /api/v1/openapi.json)."""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tongban.core.api import router as core_router
from tongban.core.errors import DomainError
from tongban.core.hygiene import StrictJSONParser

api = NinjaAPI(
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
    return api.create_response(request, {"code": "invalid_input", "message": message, "details": exc.errors}, status=422)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    """ninja wraps a body its parser refuses in HttpError(400): answer with the parser's own code and message."""
    if isinstance(exc.__cause__, DomainError):
        return domain_error(request, exc.__cause__)
    code = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    message = {"Cannot parse request body": "请求体无法解析"}.get(str(exc), str(exc))
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
