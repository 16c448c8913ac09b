"""Chinese search over the catalogue.

Text is cut into words by rjieba (search mode, so 许可证 also yields 许可; runs of single characters the
dictionary does not know are joined, so 转出 is a word), stored space-separated and indexed by SQLite FTS5 or a
PostgreSQL tsvector (config 'simple': our tokens are already words).

A query is cut in precise mode, its stop words dropped (如何, 办理 …, also when typed as words of their own).
Each query word matches itself, the phrase of its parts (社会保险 is found inside 社会保险费, indexed as
社会 保险 保险费 社会保险费) or any of its synonyms (OR); all query words must match (AND). When no document
matches them all, the query is relaxed: the most specific words that still find something are kept (社会保险补缴
finds the 补缴 items). Latin letters also match pinyin initials anywhere in a name (sfz → 居民身份证申领: every
suffix of the initials is indexed). Results of the user's own region (and the regions above it) come first.
"""

import datetime as dt
import re
from functools import lru_cache

import rjieba
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone
from pypinyin import Style, lazy_pinyin

from .models import SearchEntry, Synonym, in_force

FTS_TABLE = "catalog_search_fts"
_WORD = re.compile(r"[\w\u4e00-\u9fff]+")
_LATIN = re.compile(r"^[a-z0-9]+$")
SYNONYM_CACHE_KEY = "catalog:synonyms:v1"
ALWAYS = dt.date(1970, 1, 1)  # a published bundle is effective until unpublished
FILTER_COLUMNS = {"level": "level", "department_id": "department_id", "region_id": "region_id"}
STOP = {"的", "和", "与", "及", "或", "等", "在", "对", "为", "我要", "办理", "如何", "怎么", "怎样", "哪里"}  # never indexed
QUERY_STOP = STOP | {"我想", "想", "要", "在哪", "在哪里", "去哪", "需要", "什么", "材料", "手续", "流程", "办", "吗", "呢", "了",
                     "一下", "咨询"}  # words of a question, not of an item: dropped from queries only


def _join_singles(words: list[str]) -> list[str]:
    """Join runs of single characters the dictionary left apart (转 出 → 转出); keep the single ones too."""
    out, run = [], []
    for w in [*words, ""]:
        if len(w) == 1 and _is_cjk(w):
            run.append(w)
            continue
        if len(run) > 1:
            out.append("".join(run))
        elif run:
            out.append(run[0])
        run = []
        if w:
            out.append(w)
    return out


def tokens(text: str) -> list[str]:
    """Words of `text` for the index; lower-cased, punctuation and stop words dropped."""
    out = []
    for chunk in _WORD.findall((text or "").lower()):
        for w in _join_singles([w.strip() for w in rjieba.cut_for_search(chunk) if w.strip()]):
            if w not in STOP and (len(w) > 1 or (w.isalnum() and not _is_cjk(w))):
                out.append(w)
            elif len(w) == 1 and _is_cjk(w) and len(chunk) == 1:
                out.append(w)  # a one-character text is all there is
    return out


def query_words(chunk: str) -> list[str]:
    """The words of one typed chunk, cut in precise mode (so a compound stays one word), stop words dropped."""
    words = _join_singles([w.strip() for w in rjieba.cut(chunk) if w.strip()])
    kept = [w for w in words if w not in QUERY_STOP and (len(w) > 1 or not _is_cjk(w) or len(chunk) == 1)]
    return kept


def parts(word: str) -> tuple[str, ...]:
    """The smaller indexed words that spell `word` (社会保险 → 社会, 保险), longest first at each place: all of
    them in a document finds `word` inside a longer word (社会保险费). Empty when they do not spell it."""
    sub = {w for w in rjieba.cut_for_search(word) if w != word and len(w) > 1}
    seq, pos = [], 0
    while pos < len(word):
        best = max((w for w in sub if word.startswith(w, pos)), key=len, default=None)
        if best is None:
            return ()
        seq.append(best)
        pos += len(best)
    return tuple(seq) if len(seq) > 1 else ()


def _is_cjk(w: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in w)


@lru_cache(maxsize=4096)
def initials(text: str) -> str:
    """Pinyin initials of the Chinese characters in `text`: 食品经营许可 → spjyxk."""
    han = "".join(c for c in text if _is_cjk(c))
    return "".join(p[0] for p in lazy_pinyin(han, style=Style.FIRST_LETTER) if p)


def initials_tokens(names: list[str]) -> str:
    """Every suffix (two letters or more) of each name's initials, so a prefix match finds them anywhere:
    居民身份证申领 → jmsfzsl msfzsl sfzsl fzsl zsl sl (sfz matches)."""
    out = set()
    for name in names:
        full = initials(name)
        out.update(full[i:] for i in range(len(full) - 1))
    return " ".join(sorted(out))


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
    words = []
    for chunk in _WORD.findall(q):
        if chunk in table:  # whole-word synonyms first (饭店 may be cut differently from how the table spells it)
            words.append(chunk)
        elif chunk not in QUERY_STOP:
            words.extend(query_words(chunk))
    seen = set()
    for w in words:
        if w in seen:
            continue
        seen.add(w)
        alternatives = [[w]]
        if _is_cjk(w) and len(w) > 2 and parts(w):
            alternatives.append(parts(w))  # a tuple: all of these words, anywhere
        for exp in table.get(w, []):
            phrase = [t for t in rjieba.cut(exp) if t.strip() and (len(t) > 1 or not _is_cjk(t))]  # main words (single characters are not indexed), as a phrase
            if phrase and phrase not in alternatives:
                alternatives.append(phrase)
            if len(phrase) == 1 and parts(phrase[0]) and parts(phrase[0]) not in alternatives:
                alternatives.append(parts(phrase[0]))
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
        expr = " OR ".join(
            f"{{title body}} : NEAR({' '.join(_fts_quote(w) for w in phrase)}, {len(phrase)})" if isinstance(phrase, tuple)
            else f"{{title body}} : {_fts_quote(' '.join(phrase))}"
            for phrase in alternatives
        )
        word = alternatives[0][0]
        if word in latin:
            expr += f" OR initials : {_fts_quote(word)}*"
        parts.append(f"({expr})")
    return " AND ".join(parts)


def _ts_quote(word: str) -> str:
    return "'" + word.replace("'", "''").replace("\\", "") + "'"


def _ts_near(words: tuple) -> str:
    """The parts of a word close together and in order (one or two positions apart: search-mode cuts put the
    overlapping longer parts between them)."""
    if len(words) == 2:
        a, b = (_ts_quote(w) for w in words)
        return f"({a} <1> {b} | {a} <2> {b})"
    return " & ".join(_ts_quote(w) for w in words)


def ts_query(groups, latin) -> str:
    parts = []
    for alternatives in groups:
        alts = [_ts_near(phrase) if isinstance(phrase, tuple) else " <-> ".join(_ts_quote(w) for w in phrase) for phrase in alternatives]
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


def search(q: str, *, kind: str | None = None, filters: dict | None = None, limit: int = 20, offset: int = 0,
           region_path: str | None = None, prefer_regions: list[int] | None = None, relax: bool = True,
           ) -> tuple[int, list[int]]:
    """(total, entry ids best first) for effective entries matching `q` and the column `filters`;
    `region_path`: only entries in that region's subtree; `prefer_regions`: entries of these regions first."""
    groups, latin = query_groups(q)
    if not groups:
        return 0, []
    run = lambda g, count_only=False: _run(g, latin, kind, filters, region_path, prefer_regions, limit, offset, count_only)  # noqa: E731
    total, ids = run(groups)
    if total or not relax or len(groups) < 2:
        return total, ids
    hits = sorted((run([g], True)[0], i) for i, g in enumerate(groups))
    kept = []
    for n, i in hits:
        if n and (not kept or run([groups[j] for j in sorted(kept + [i])], True)[0]):
            kept.append(i)
    if not kept:
        return 0, []
    return run([groups[j] for j in sorted(kept)])


def was_relaxed(q: str, total: int, kind: str | None = None) -> bool:
    """Whether `total` results came from a relaxed query (no document has every word): the page says so."""
    groups, latin = query_groups(q)
    return total > 0 and len(groups) > 1 and _run(groups, latin, kind, None, None, None, 0, 0, True)[0] == 0


def _run(groups, latin, kind, filters, region_path, prefer_regions, limit, offset, count_only):
    base = effective_entries(kind).filter(**(filters or {}))
    if connection.vendor == "postgresql":
        query = SearchQuery(ts_query(groups, latin), search_type="raw", config="simple")
        matched = base.filter(vector=query)
        if region_path:
            matched = matched.filter(region__path__startswith=region_path)
        total = matched.count()
        if count_only or not total:
            return total, []
        ranked = matched.annotate(rank=SearchRank(F("vector"), query, weights=[0.1, 0.2, 0.4, 1.0]))
        order = ["-rank", "kind", "id"]
        if prefer_regions:
            ranked = ranked.annotate(mine=Case(When(region_id__in=prefer_regions, then=Value(1)), default=Value(0), output_field=IntegerField()))
            order = ["-mine", *order]
        return total, list(ranked.order_by(*order).values_list("id", flat=True)[offset : offset + limit])
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
    if region_path:
        where.append("e.region_id IN (SELECT id FROM org_region WHERE path LIKE %s)")
        params.append(region_path.replace("%", "") + "%")
    sql_base = (
        f"FROM {FTS_TABLE} f CROSS JOIN catalog_searchentry e ON e.id = f.rowid "
        f"WHERE {FTS_TABLE} MATCH %s AND " + " AND ".join(where)
    )
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) {sql_base}", params)
        total = cur.fetchone()[0]
        if count_only or not total:
            return total, []
        mine = ""
        order_params = []
        if prefer_regions:
            mine = f"(e.region_id IN ({', '.join(['%s'] * len(prefer_regions))})) DESC, "
            order_params = list(prefer_regions)
        cur.execute(
            f"SELECT f.rowid {sql_base} ORDER BY {mine}bm25({FTS_TABLE}, 10.0, 1.0, 5.0), f.rowid LIMIT %s OFFSET %s",
            [*params, *order_params, limit, offset],
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
        item.sub_unit,
        item.group_name,
        item.province_basic_code,
        item.province_implementation_code,
        item.implementation_code,
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
    entry.initials = initials_tokens(names)
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
    entry.initials = initials_tokens([bundle.name])
    return entry
