from typing import Literal

from ninja import Router, Schema

from .errors import DomainError
from .identifiers import VALIDATORS

router = Router()


class Validation(Schema):
    valid: bool
    value: str
    message: str


@router.get("/validate", response=Validation, summary="校验身份证号码、统一社会信用代码、行政区划代码或电子证照标识")
def validate(request, kind: Literal["id_card", "uscc", "region", "licence"], value: str):
    try:
        normalised = VALIDATORS[kind](value)
    except DomainError as e:
        return {"valid": False, "value": value, "message": e.message}
    return {"valid": True, "value": normalised, "message": "校验通过"}
