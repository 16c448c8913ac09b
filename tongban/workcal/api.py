import datetime as dt

from ninja import Query, Router, Schema

from .days import MAX_DAYS, add_working_days, working_days_between

router = Router()


class AddOut(Schema):
    date: dt.date
    provisional: bool


class CountOut(Schema):
    days: int
    provisional: bool


@router.get("/workdays/add", response=AddOut, summary="起算日之后第 N 个工作日(起算日不计入)")
def add(request, start: dt.date = Query(..., description="起算日 YYYY-MM-DD"), days: int = Query(..., ge=0, le=MAX_DAYS)):
    r = add_working_days(start, days)
    return {"date": r.date, "provisional": r.provisional}


@router.get("/workdays/count", response=CountOut, summary="(start, end] 之间的工作日数")
def count(request, start: dt.date = Query(...), end: dt.date = Query(...)):
    r = working_days_between(start, end)
    return {"days": r.days, "provisional": r.provisional}
