"""The shipped GB/T 2260 region-code table (tongban/core/data/regions.csv, source and date in its header).

The file is only what a migration loads into the database (org.Region); validation asks the database, through
the lookup the org app registers when it starts (`register_lookup`). Core imports no other app, so the hook
points the other way. Without a registered lookup (scripts that never set Django up) the file answers.
"""

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "regions.csv"


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: int
    parent: str


def read_rows(path: Path) -> list[RegionRow]:
    with path.open(encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    return [
        RegionRow(code=r["code"].strip(), name=r["name"].strip(), level=int(r["level"]), parent=(r.get("parent") or "").strip())
        for r in csv.DictReader(lines)
    ]


@lru_cache(maxsize=1)
def region_table() -> dict[str, RegionRow]:
    return {row.code: row for row in read_rows(DATA_FILE)}


def table_edition() -> str:
    """The first comment line of the table: where the codes come from and when."""
    with DATA_FILE.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                return line.lstrip("# ").strip()
    return ""


# A lookup answers (name, valid_from, valid_to) for a code, or None when the code is unknown.
Lookup = Callable[[str], "tuple[str, dt.date | None, dt.date | None] | None"]
_lookup: list[Lookup] = []


def register_lookup(fn: Lookup) -> None:
    _lookup[:] = [fn]


def lookup(code: str):
    if _lookup:
        return _lookup[0](code)
    row = region_table().get(code)
    return (row.name, None, None) if row else None
