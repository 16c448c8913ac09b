"""`manage.py generate_load --cases N`: N realistic cases over the two years up to today, for the figures and the
benchmarks at scale (PostgreSQL only: rows go in with COPY).

The demo catalogue, organisation and staff must be loaded (the command loads them when they are not). Each case
gets an applicant (one in four is a returning applicant), a published item of the demo catalogue with its
department and region, a channel (窗口 45 %, 网上 40 %, 自助 10 %, 帮代办 5 %), a window and a first handler of the
item's region when it came to the hall, and a life: 3 % still waiting at intake, 2 % refused or withdrawn, the rest
accepted on a working day and run on a clock of the item's promised limit — 15 % suspended for 补正 (1–10 working
days), 3 % extended — then decided within (or, one in twelve, past) the limit and delivered, unless recent enough
to be still open (lights as of today). Dates, working days and deadlines are computed on the official calendar.

Rows are written in id ranges reserved past the current maximum, then the sequences are moved on, so the command
may run on a database that already has cases (it is not meant to run beside live traffic)."""

import bisect
import datetime as dt
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from tongban.core.identifiers import make_id_card

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢孔"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞",
         "平", "刚", "桂英", "建华", "文博", "子涵", "雨桐", "浩然", "欣怡", "志强"]
SHOPS = ["鲁味轩餐饮店", "孔府家宴饭庄", "尼山书院文化传播有限公司", "运河物流有限公司", "汶上县宝相寺农产品专业合作社", "曲阜三孔旅游服务有限公司",
         "济宁太白湖建材商行", "兖州区鑫源五金店", "微山湖渔业发展有限公司", "邹城市孟子故里商贸有限公司"]
CHANNELS = ["window"] * 45 + ["online"] * 40 + ["kiosk"] * 10 + ["agent"] * 5
BATCH = 50_000


class Command(BaseCommand):
    help = "生成 N 件办件(两年内,PostgreSQL COPY),用于大规模统计与压测"

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--years", type=int, default=2)

    def handle(self, *args, cases: int, seed: int, years: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError("generate_load 使用 PostgreSQL COPY,请在 PostgreSQL 上运行")
        if not 1 <= cases <= 50_000_000:
            raise CommandError("--cases 应在 1 至 50,000,000 之间")
        t0 = time.monotonic()
        world = _world()
        gen = _Generator(world, cases, seed, years)
        raw = connection.connection  # psycopg 3
        with connection.cursor() as c:
            # The rows are made consistent here: skip the per-row foreign-key triggers (needs a superuser) and do not
            # wait for the WAL flush at each batch's commit.
            try:
                c.execute("SET session_replication_role = replica")
            except Exception:  # noqa: BLE001 - not a superuser: the checks run, the load is slower
                raw.rollback()
            c.execute("SET synchronous_commit = off")
            c.execute("SELECT COALESCE(MAX(id), 0) FROM cases_case")
            case0 = c.fetchone()[0]
            c.execute("SELECT COALESCE(MAX(id), 0) FROM workcal_clock")
            clock0 = c.fetchone()[0]
            c.execute("SELECT COALESCE(MAX(id), 0) FROM cases_applicant")
            applicant0 = c.fetchone()[0]
        n_applicants = max(1, cases * 3 // 4)
        with raw.cursor() as cur:
            with cur.copy("COPY cases_applicant (id, kind, id_number, name, phone, address, legal_rep, created_at) FROM STDIN") as cp:
                for row in gen.applicants(applicant0, n_applicants):
                    cp.write_row(row)
        raw.commit()
        done, case_id, clock_id = 0, case0, clock0
        while done < cases:
            n = min(BATCH, cases - done)
            case_rows, clock_rows = gen.cases(case_id, clock_id, n, applicant0, n_applicants)
            with raw.cursor() as cur:
                with cur.copy("COPY workcal_clock (id, subject_type, subject_id, label, level, item_version_id, start_date, "
                              "limit_days, legal_limit_days, max_extension_days, extended_days, suspended_days, allowed_suspensions, "
                              "state, deadline, legal_deadline, light, warn_days, warn_percent, provisional, stopped_on, updated_at) "
                              "FROM STDIN") as cp:
                    for row in clock_rows:
                        cp.write_row(row)
                with cur.copy("COPY cases_case (id, number, region_id, item_id, item_version_id, applicant_id, channel, window_id, "
                              "state, received_on, accepted_on, auto_accepted, handler_id, clock_id, deadline, light, gap_open, "
                              "informed_commitment, back_office, decided_on, decision_note, completed_on, visits, form_data, "
                              "created_at, updated_at, registry_check) FROM STDIN") as cp:
                    for row in case_rows:
                        cp.write_row((*row, "{}"))
            raw.commit()
            done += n
            case_id += n
            clock_id += len(clock_rows)
            self.stdout.write(f"{done:,} / {cases:,} cases ({time.monotonic() - t0:.0f} s)")
        with connection.cursor() as c:
            for table in ("cases_case", "workcal_clock", "cases_applicant"):
                c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            c.execute("ANALYZE cases_case")
            c.execute("ANALYZE workcal_clock")
        self.stdout.write(self.style.SUCCESS(f"generated {cases:,} cases in {time.monotonic() - t0:.1f} s"))
        from tongban.supervision.summary import built, rebuild

        if built():  # COPY announces no lifecycle event: a summary in use is rebuilt from the cases
            self.stdout.write(f"电子监察日汇总已重建:{rebuild():,} 行")


def _world() -> dict:
    """Items with their version, region and department; windows and clerks by county."""
    from tongban.catalog.models import ItemVersion
    from tongban.org.models import Role, RoleGrant, Window

    versions = list(ItemVersion.objects.filter(status="published").select_related("item__region")
                    .values_list("id", "item_id", "item__region_id", "item__region__path", "promised_limit", "legal_limit", "item__level"))
    if not versions:
        from tongban.demo.load import load_all

        load_all()
        return _world()
    windows: dict[str, list[int]] = {}
    for w_id, path in Window.objects.values_list("id", "hall__region__path"):
        windows.setdefault(path, []).append(w_id)
    clerks: dict[str, list[int]] = {}
    for user_id, path in RoleGrant.objects.filter(role=Role.WINDOW_CLERK).values_list("user_id", "region__path"):
        clerks.setdefault(path, []).append(user_id)
    from tongban.org.models import Region

    codes = dict(Region.objects.values_list("id", "code"))
    return {"versions": versions, "windows": windows, "clerks": clerks, "codes": codes}


class _Generator:
    def __init__(self, world, total, seed, years):
        from tongban.workcal.days import get_calendar

        self.rng = random.Random(seed)
        self.world, self.total = world, total
        self.today = timezone.localdate()
        self.first = self.today - dt.timedelta(days=365 * years)
        cal = get_calendar()
        start = self.first - dt.timedelta(days=10)
        end = self.today + dt.timedelta(days=400)
        self.workdays = [d for d in (start + dt.timedelta(days=i) for i in range((end - start).days)) if cal.day(d).working]
        self.ordinals = [d.toordinal() for d in self.workdays]
        self.now = timezone.now()
        self.serial = 0

    def _closest(self, path: str, table: dict) -> list[int]:
        while path:
            if path in table:
                return table[path]
            path = path[: path.rstrip("/").rfind("/") + 1]
        return []

    def add(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after `day` (not counted)."""
        i = bisect.bisect_right(self.ordinals, day.toordinal())
        return self.workdays[min(i + n - 1, len(self.workdays) - 1)] if n > 0 else day

    def between(self, a: dt.date, b: dt.date) -> int:
        return bisect.bisect_right(self.ordinals, b.toordinal()) - bisect.bisect_right(self.ordinals, a.toordinal())

    def applicants(self, id0: int, n: int):
        rng, codes = self.rng, list(self.world["codes"].values())
        counties = [c for c in codes if len(c) == 6 and not c.endswith("00")] or ["370881"]
        born = dt.date(1940, 1, 1)
        for k in range(id0, id0 + n):  # numbered after the applicants already there: a second run makes new ones
            region = counties[k % len(counties)]
            if k % 5 == 4:
                from tongban.core.identifiers import make_uscc

                yield (k + 1, "org", make_uscc(region, 70_000_000 + k // len(counties), authority="9", kind="2"),
                       rng.choice(SHOPS), "13905371234", "", rng.choice(SURNAMES) + rng.choice(GIVEN), self.now)
            else:
                j = k // len(counties)
                yield (k + 1, "person", make_id_card(region, born + dt.timedelta(days=j // 1000), j % 1000),
                       rng.choice(SURNAMES) + rng.choice(GIVEN), "13905371234", "", "", self.now)

    def cases(self, case0: int, clock0: int, n: int, applicant0: int, n_applicants: int):
        rng, w = self.rng, self.world
        span = (self.today - self.first).days
        case_rows, clock_rows = [], []
        clock_id = clock0
        for k in range(n):
            case_id = case0 + k + 1
            v_id, item_id, region_id, path, promised, legal, level = rng.choice(w["versions"])
            channel = rng.choice(CHANNELS)
            received = self.add(self.first + dt.timedelta(days=rng.randrange(span)), 0)
            at_hall = channel in ("window", "agent", "kiosk")
            windows = self._closest(path, w["windows"]) if at_hall else []
            window = rng.choice(windows) if windows else None
            clerks = self._closest(path, w["clerks"])
            handler = rng.choice(clerks) if clerks else None
            visits = (1 if rng.random() < 0.8 else 2) if at_hall else (0 if rng.random() < 0.7 else 1)
            self.serial += 1
            number = f"{w['codes'][region_id][:6]}-{received:%Y%m%d}-L{case_id:09d}"
            applicant = applicant0 + 1 + rng.randrange(n_applicants)
            fate = rng.random()
            base = [case_id, number, region_id, item_id, v_id, applicant, channel, window]
            if fate < 0.03:  # still at intake
                case_rows.append(base + ["received", received, None, False, handler, None, None, "", False, False, False,
                                         None, "", None, visits, "{}", self.now, self.now])
                continue
            if fate < 0.05:
                state = "refused" if fate < 0.04 else "withdrawn"
                case_rows.append(base + [state, received, None, False, handler, None, None, "", False, False, False,
                                         None, "", received if state == "refused" else None, visits, "{}", self.now, self.now])
                continue
            accepted = self.add(received, rng.choice([0, 0, 0, 1, 2]))
            suspended = rng.randint(1, 10) if rng.random() < 0.15 else 0
            extended = 10 if rng.random() < 0.03 else 0
            total = promised + extended
            deadline = self.add(accepted, total + suspended)
            legal_deadline = self.add(accepted, legal + extended + suspended)
            late = rng.random() < 1 / 12
            used = rng.randint(total + 1, total + 5) if late else rng.randint(max(1, total // 5), max(1, total))
            decided = self.add(accepted, used + suspended)
            clock_id += 1
            if decided > self.today:  # still open: its light as of today
                remaining = self.between(self.today, deadline) if deadline >= self.today else -1
                light = "red" if deadline < self.today else ("yellow" if remaining <= 2 or (total - remaining) * 100 >= 80 * total else "green")
                clock_rows.append([clock_id, "case", number, "", level, v_id, accepted, promised, legal, 0, extended, suspended, "[]",
                                   "running", deadline, legal_deadline, light, 2, 80, False, None, self.now])
                case_rows.append(base + ["accepted", received, accepted, False, handler, clock_id, deadline, light, False, False, False,
                                         None, "", None, visits, "{}", self.now, self.now])
                continue
            completed = self.add(decided, rng.choice([0, 1, 1, 2, 3]))
            light = "red" if decided > deadline else "green"
            clock_rows.append([clock_id, "case", number, "", level, v_id, accepted, promised, legal, 0, extended, suspended, "[]",
                               "stopped", deadline, legal_deadline, light, 2, 80, False, decided, self.now])
            state = "completed" if completed <= self.today else ("approved" if rng.random() < 0.95 else "denied")
            case_rows.append(base + [state, received, accepted, False, handler, clock_id, deadline, light, False, False, False,
                                     decided, "", completed if completed <= self.today else None, visits, "{}", self.now, self.now])
        return case_rows, clock_rows
