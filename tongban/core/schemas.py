"""Schemas every API router shares: the one error body and the error answers each operation declares."""

from ninja import Field, Schema


class ErrorOut(Schema):
    code: str = Field(..., description="稳定的错误代码,如 wrong_state、forbidden、not_found、invalid_input")
    message: str = Field(..., description="中文说明,可直接展示给用户")
    field: str | None = Field(None, description="出错的字段")
    details: list | None = Field(None, description="逐项说明(参数校验错误)")


# 400 a rule of the domain refused the input; 401 no or an invalid token; 403 out of role or scope;
# 404 unknown (or out of scope where existence would leak); 409 the state does not allow the act now;
# 422 the request does not match the schema.
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
PUBLIC_ERRORS = {400: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def answers(ok, status: int = 200, errors: dict = ERRORS) -> dict:
    """`response=` for an operation: its success schema and every error answer it can give."""
    return {status: ok, **errors}
