"""`{% load seal %}{% red_seal department %}`: the authority's red round seal (tongban.core.seal) in a printed
document or a page; `{% red_seal name "业务专用章" 36 %}` for another use or size (mm)."""

from django import template
from django.utils.safestring import mark_safe

from tongban.core.seal import seal_svg

register = template.Library()


@register.simple_tag
def red_seal(name, label: str = "审批专用章", size_mm: float = 40):
    return mark_safe(seal_svg(str(name or ""), str(label or ""), size_mm=float(size_mm)))  # noqa: S308 - escaped inside
