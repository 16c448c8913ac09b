"""Page numbers from clients: any integer may arrive; the database's OFFSET may not overflow."""

MAX_PAGE = 10_000  # 200,000 rows at 20 a page: past it, lists are searched or filtered, not paged


def clamp_page(page) -> int:
    """1 ≤ page ≤ MAX_PAGE: a page past the end is simply empty (or the last one, on the pages)."""
    try:
        page = int(page)
    except (TypeError, ValueError):
        return 1
    return min(max(1, page), MAX_PAGE)
