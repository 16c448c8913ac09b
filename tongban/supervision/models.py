"""Summary tables of 电子监察: what the period figures need, per day × region × department × item × channel, so a
city's year is a few thousand summary rows instead of millions of cases.

A row holds, for its key (and roll-up rows: see `level`), the cases whose 受理日 (accepted_*), 办结日 (completed_*) or 决定日 (decided_*, used_*,
legal_sum, promised_sum) fell on its day — the same conditions as the count figures of `metrics`, so the sum over
a period's rows is the figure. The rows are rewritten for one (day, region) at a time by `summary.refresh`, which
a task runs after a case lifecycle event commits; `manage.py rebuild_supervision_summary` rewrites them all.
`SummaryState` says the table was built: until then the figures are read from the cases."""

from django.db import models


class DailyFigures(models.Model):
    day = models.DateField()
    region = models.ForeignKey("org.Region", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("org.Department", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    item = models.ForeignKey("catalog.Item", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    channel = models.CharField(max_length=10)
    # the level of the row: 0 one item's row; 1 a roll-up over the items of its day × region × department ×
    # channel (item null); 2 a roll-up over everything of its day × region (department, item null, channel "").
    # The figures read the coarsest level their filters allow: a city's year is then a few thousand rows
    # 3: a roll-up over everything of its day × region accepted at one window (the window ranking)
    level = models.PositiveSmallIntegerField(default=0)
    window = models.ForeignKey("org.Window", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    # cases accepted on the day
    accepted = models.PositiveIntegerField(default=0)
    online = models.PositiveIntegerField(default=0)  # … through the online channel
    delegated = models.PositiveIntegerField(default=0)  # … of an item delegated from the city (市县同权)
    accepted_completed = models.PositiveIntegerField(default=0)  # … completed since (any day)
    last_completed_on = models.DateField(null=True)  # the latest 办结日 of those
    completed_on_days = models.JSONField(default=dict)  # … by 办结日: {"2025-03-10": n}
    # cases completed (delivered) on the day
    completed = models.PositiveIntegerField(default=0)
    full_online = models.PositiveIntegerField(default=0)  # … online with no visit
    one_visit = models.PositiveIntegerField(default=0)  # … with at most one visit
    # cases decided on the day (clock stopped)
    decided = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    used_sum = models.BigIntegerField(default=0)  # working days used, summed
    used_hist = models.JSONField(default=dict)  # {working days used: n}: the p90
    legal_sum = models.BigIntegerField(default=0)
    promised_sum = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "电子监察日汇总"
        indexes = [models.Index(fields=["region", "day"], name="dailyfigures_region_day"),
                   models.Index(fields=["level", "day"], name="dailyfigures_level_day")]


class SummaryState(models.Model):
    """One row once `rebuild` has run: the figures may read the summary from then on."""

    built_at = models.DateTimeField()
    cases = models.PositiveIntegerField(default=0)
