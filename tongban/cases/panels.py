"""Panels of an applicant's own page (一企一页) that apps the portal may not import fill in (the projects app sits
beside the portal): each registered provider returns the rows it has for one applicant, already scoped to it."""

from collections.abc import Callable

_providers: list[tuple[str, str, Callable]] = []


def register(key: str, title: str, provider: Callable) -> None:
    """`provider(applicant)` returns a list of {"text", "detail", "url"} (url may be empty)."""
    if key not in {k for k, _, _ in _providers}:
        _providers.append((key, title, provider))


def panels(applicant) -> list[dict]:
    return [{"key": key, "title": title, "rows": list(provider(applicant))} for key, title, provider in _providers]
