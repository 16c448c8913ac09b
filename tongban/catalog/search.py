"""Chinese search over the catalogue.

Text is cut into words by rjieba (search mode, so 许可证 also yields 许可), stored space-separated and
indexed by SQLite FTS5 or a PostgreSQL tsvector (config 'simple': our tokens are already words).
A query is cut the same way; each query word matches itself or any of its synonyms (OR), and all
query words must match (AND). Latin letters also match pinyin initials by prefix (spjy → 食品经营许可).
"""

import datetime as dt
import re
from functools import lru_cache

import rjieba
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.cache import cache
from django.db import connection
from django.db.models import F, Value
from django.utils import timezone
from pypinyin import Style, lazy_pinyin

from .models import SearchEntry, Synonym, in_force

FTS_TABLE = "catalog_search_fts"
_WORD = re.compile(r"[\w\u4e00-\u9fff]+")
_LATIN = re.compile(r"^[a-z0-9]+$")
SYNONYM_CACHE_KEY = "catalog:synonyms:v1"
ALWAYS = dt.date(1970, 1, 1)  # a published bundle is effective until unpublished
FILTER_COLUMNS = {"level": "level", "department_id": "department_id", "region_id": "region_id"}
STOP = {"的", "和", "与", "及", "或", "等", "在", "对", "为", "我要", "办理", "如何", "怎么", "怎样", "哪里"}


def tokens(text: str) -> list[str]:
    """Words of `text` for indexing and querying; lower-cased, punctuation dropped."""
    out = []
    for chunk in _WORD.findall((text or "").lower()):
        for w in rjieba.cut_for_search(chunk):
            w = w.strip()
            if w and w not in STOP and (len(w) > 1 or w.isalnum() and not _is_cjk(w)):
                out.append(w)
            elif w and len(w) == 1 and _is_cjk(w) and len(chunk) == 1:
                out.append(w)  # a one-character query is all the user gave us
    return out


def _is_cjk(w: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in w)


@lru_cache(maxsize=4096)
def initials(text: str) -> str:
    """Pinyin initials of the Chinese characters in `text`: 食品经营许可 → spjyxk."""
    han = "".join(c for c in text if _is_cjk(c))
    return "".join(p[0] for p in lazy_pinyin(han, style=Style.FIRST_LETTER) if p)


def synonyms() -> dict[str, list[str]]:
    table = cache.get(SYNONYM_CACHE_KEY)
    if table is None:
        table = {s.term.lower(): s.expansions.lower().split() for s in Synonym.objects.all()}
        cache.set(SYNONYM_CACHE_KEY, table, 300)
    return table


def clear_synonym_cache():
    cache.delete(SYNONYM_CACHE_KEY)


def query_groups(q: str) -> tuple[list[list[list[str]]], list[str]]:
    """The query as AND-groups of OR-alternatives, each alternative a phrase (list of words);
    plus the Latin words to match against pinyin initials."""
    table = synonyms()
    q = (q or "").strip().lower()[:100]
    groups = []
    latin = []
    raw_words = _WORD.findall(q)
    # Whole-word synonyms first (饭店 may be cut differently from how the table spells it).
    words = []
    for chunk in raw_words:
        if chunk in table:
            words.append(chunk)
        else:
            words.extend(tokens(chunk) or ([chunk] if chunk else []))
    seen = set()
    for w in words:
        if w in seen:
            continue
        seen.add(w)
        alternatives = [[w]]
        for exp in table.get(w, []):
            phrase = [t for t in rjieba.cut(exp) if t.strip()]  # main words, matched as a phrase
            if phrase and phrase not in alternatives:
                alternatives.append(phrase)
        if _LATIN.match(w) and w.isalpha():
            latin.append(w)
        groups.append(alternatives)
    return groups, latin


def _fts_quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def fts5_match(groups, latin) -> str:
    parts = []
    for alternatives in groups:
        # A quoted string of several space-separated words is an FTS5 phrase (adjacent words).
        expr = " OR ".join(f"{{title body}} : {_fts_quote(' '.join(phrase))}" for phrase in alternatives)
        word = alternatives[0][0]
        if word in latin:
            expr += f" OR initials : {_fts_quote(word)}*"
        parts.append(f"({expr})")
    return " AND ".join(parts)


def _ts_quote(word: str) -> str:
    return "'" + word.replace("'", "''").replace("\\", "") + "'"


def ts_query(groups, latin) -> str:
    parts = []
    for alternatives in groups:
        alts = [" <-> ".join(_ts_quote(w) for w in phrase) for phrase in alternatives]
        word = alternatives[0][0]
        if word in latin:
            alts.append(_ts_quote(word) + ":*")
        parts.append("(" + " | ".join(f"({a})" for a in alts) + ")")
    return " & ".join(parts)


def effective_entries(kind: str | None = None):
    today = timezone.localdate()
    qs = SearchEntry.objects.filter(in_force(today))
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def search(q: str, *, kind: str | None = None, filters: dict | None = None, limit: int = 20, offset: int = 0) -> tuple[int, list[int]]:
    """(total, entry ids best first) for effective entries matching `q` and the column `filters`."""
    groups, latin = query_groups(q)
    if not groups:
        return 0, []
    base = effective_entries(kind).filter(**(filters or {}))
    if connection.vendor == "postgresql":
        query = SearchQuery(ts_query(groups, latin), search_type="raw", config="simple")
        matched = base.filter(vector=query)
        total = matched.count()
        ids = list(
            matched.annotate(rank=SearchRank(F("vector"), query, weights=[0.1, 0.2, 0.4, 1.0]))
            .order_by("-rank", "kind", "id").values_list("id", flat=True)[offset : offset + limit]
        )
        return total, ids
    match = fts5_match(groups, latin)
    # FTS first (CROSS JOIN fixes the order in SQLite), then each match looks up its entry by primary key;
    # the planner otherwise scans the entries and runs the full-text match once per entry.
    where = ["e.valid_from <= %s", "(e.valid_to IS NULL OR e.valid_to > %s)"]
    today = timezone.localdate()
    params = [match, today, today]
    if kind:
        where.append("e.kind = %s")
        params.append(kind)
    for column, value in (filters or {}).items():
        if column not in FILTER_COLUMNS:
            raise ValueError(f"cannot filter search on {column}")
        where.append(f"e.{FILTER_COLUMNS[column]} = %s")
        params.append(value)
    sql_base = (
        f"FROM {FTS_TABLE} f CROSS JOIN catalog_searchentry e ON e.id = f.rowid "
        f"WHERE {FTS_TABLE} MATCH %s AND " + " AND ".join(where)
    )
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) {sql_base}", params)
        total = cur.fetchone()[0]
        cur.execute(
            f"SELECT f.rowid {sql_base} ORDER BY bm25({FTS_TABLE}, 10.0, 1.0, 5.0), f.rowid LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        ids = [r[0] for r in cur.fetchall()]
    return total, ids


def write_entry(entry: SearchEntry) -> None:
    """Store `entry` and (re)write its text index row, inside the caller's transaction."""
    entry.save()
    if connection.vendor == "postgresql":
        SearchEntry.objects.filter(pk=entry.pk).update(
            vector=SearchVector(Value(entry.title), weight="A", config="simple")
            + SearchVector(Value(entry.initials), weight="A", config="simple")
            + SearchVector(Value(entry.body), weight="C", config="simple")
        )
        return
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [entry.pk])
        cur.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, title, body, initials) VALUES (%s, %s, %s, %s)",
            [entry.pk, entry.title, entry.body, entry.initials],
        )


def set_valid_to(entry_filter: dict, valid_to) -> None:
    SearchEntry.objects.filter(**entry_filter).update(valid_to=valid_to)


# --- documents -------------------------------------------------------------------------------

def item_version_entry(version) -> SearchEntry:
    item = version.item
    names = [version.name, *version.alias_list()]
    body_parts = [
        item.department.name,
        version.conditions,
        version.legal_basis,
        " ".join(m.name for m in version.materials.all()),
        " ".join(t.name for t in version.topics.all()),
        " ".join(version.form_fields or []),
    ]
    entry = SearchEntry.objects.filter(item_version=version).first() or SearchEntry(item_version=version)
    entry.kind = SearchEntry.Kind.ITEM
    entry.level = item.level
    entry.department = item.department
    entry.region = item.region
    entry.valid_from = version.valid_from
    entry.valid_to = version.valid_to
    entry.title = " ".join(tokens(" ".join(names)))
    entry.body = " ".join(tokens(" ".join(p for p in body_parts if p)))
    entry.initials = " ".join(sorted({initials(n) for n in names if initials(n)}))
    return entry


def bundle_entry(bundle, item_names: list[str]) -> SearchEntry:
    entry = SearchEntry.objects.filter(bundle=bundle).first() or SearchEntry(bundle=bundle)
    entry.kind = SearchEntry.Kind.BUNDLE
    entry.level = bundle.region.level
    entry.region = bundle.region
    entry.department = None
    entry.valid_from = ALWAYS
    entry.valid_to = None
    entry.title = " ".join(tokens(bundle.name))
    entry.body = " ".join(tokens(" ".join([bundle.description, *item_names, *(t.name for t in bundle.topics.all())])))
    entry.initials = initials(bundle.name)
    return entry
