"""The shipped GB/T 2260 region-code table (tongban/core/data/regions.csv, source and date in its header).

Read once per process; the validator needs no database, so it also works in imports and forms.
"""

import csv
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
