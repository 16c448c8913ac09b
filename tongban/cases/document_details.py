"""Lines a decision document prints about what the decision produced, from the apps above `cases`.

The licence library registers a provider in its `ready()` so a 准予许可 decision names the licence it issued
(许可证编号, 许可内容, 有效期). A provider is called as `provider(case)` and returns `(label, value)` pairs; the
decision renderer (workflow.documents) prints `details(case)` under the decision. `cases` imports none of its
providers."""

_providers: list = []


def register(provider) -> None:
    """Called once from the providing app's `ready()`."""
    if provider not in _providers:
        _providers.append(provider)


def details(case) -> list[tuple[str, str]]:
    found = []
    for provider in _providers:
        found.extend((str(label), str(value)) for label, value in provider(case))
    return found
