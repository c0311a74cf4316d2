# ruff: noqa: E402 - Django is set up (on the database chosen on the command line) before wangge is imported
"""Case loop benchmark: operator queue, case_act transitions vs raw inserts, SLA sweep, on generated cases.

A fresh database (SQLite file in benchmarks/out/, or the scratch PostgreSQL database --pg-url, dropped and
created; never `wangge`), a 6 km² street with 24 grids, the default categories, 8 departments with a handler
each and an operator. --cases cases (--open of them open) are written with their event histories straight into
the tables (executemany / COPY; timed apart): derived columns = workflow.replay of the events, SLA columns as
sla._set_deadlines; 500 random cases are replayed from the database as a check. Timed: selectors.queue()
count() + first page of 50 per filter (p50/p95); sweep.sla_sweep(now=<generation time>) with --due of the open
cases due; case_act transitions/s (accept … evaluate on --act reported cases) next to as many CaseEvent rows
inserted one per commit and to the "floor" (lock and read the case row, update it, insert the event, commit),
interleaved block by block (--block cases), then as many rows by bulk_create (one transaction); a cProfile when
the ratio to one commit per row is below 0.3.

    .venv/bin/python benchmarks/bench_cases.py --db sqlite                       # 1M cases, 100k open
    .venv/bin/python benchmarks/bench_cases.py --db postgres                     # scratch DB wangge_bench
    .venv/bin/python benchmarks/bench_cases.py --db sqlite --cases 20000 --open 2000 --act 200   # ~30 s
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
OUT, SQLITE = ROOT / "benchmarks" / "out", ROOT / "benchmarks" / "out" / "bench_cases.sqlite3"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["WANGGE_DEMO"] = "1"
os.environ.setdefault("WANGGE_LOG_LEVEL", "WARNING")

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
ap.add_argument("--pg-url", default="postgres://wangge:wangge@127.0.0.1:5432/wangge_bench", help="dropped and created")
ap.add_argument("--cases", type=int, default=1_000_000)
ap.add_argument("--open", type=int, default=100_000, help="open cases among --cases (what the sweep looks at)")
ap.add_argument("--due", type=float, default=0.03, help="share of the open cases the sweep has to mark")
ap.add_argument("--queue-requests", type=int, default=210, help="in all, round-robin over the filters")
ap.add_argument("--queue-budget", type=float, default=90, help="seconds per filter; later requests are skipped")
ap.add_argument("--act", type=int, default=2000, help="reported cases taken through 7 transitions each")
ap.add_argument("--block", type=int, default=10, help="cases per block: service, raw and floor alternate block by block")
ap.add_argument("--profile-cases", type=int, default=100)
ap.add_argument("--sqlite-analyze", action="store_true", help="run ANALYZE on SQLite (the app never does)")
ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
ap.add_argument("--seed", type=int, default=7)
ARGS = ap.parse_args() if __name__ == "__main__" else ap.parse_args([])


def scratch_db(create: bool) -> str:
    """Delete (and recreate) the benchmark database; returns its DATABASE_URL."""
    if ARGS.db == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE}"
    import psycopg
    from psycopg import sql

    base, _, name = ARGS.pg_url.rpartition("/")
    if name in ("", "wangge", "test_wangge", "postgres"):
        raise SystemExit(f"refusing to drop database {name!r}")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return ARGS.pg_url


os.environ["DATABASE_URL"] = scratch_db(create=True)
import django

django.setup()
import shapely
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from shapely.geometry import box

from wangge.accounts.services import user_create
from wangge.cases import sla
from wangge.cases.models import Case, CaseCounter, CaseDepartment, CaseEvent, Category, Notification
from wangge.cases.selectors import queue
from wangge.cases.services import _write_snapshot, actor_label, case_act, category_seed, snapshot_of
from wangge.cases.sweep import sla_sweep
from wangge.cases.workflow import ACTIONS, replay
from wangge.core.geo import LocalProjection, to_geojson
from wangge.core.services import jurisdiction_upsert
from wangge.grids.models import Grid
from wangge.grids.services import department_upsert, geometry_fields, person_create

OPEN_MIX = {"reported": 15, "accepted": 10, "dispatched": 15, "handling": 45, "handled": 15}
FINAL_MIX = {"evaluated": 55, "closed": 33, "rejected": 7, "merged": 5}
CHANNELS = {"patrol": 35, "resident": 25, "hotline": 25, "rider": 5, "video": 5, "operator": 3, "open311": 2}
HOURS = {"accept": .5, "reject": 1, "merge": .3, "absorb": .3, "escalate": 1, "dispatch": .3, "return": 3, "sign": 1,
         "assist_feedback": 12, "request_extension": 6, "approve_extension": 1, "supervise": 8, "sla_warning": 10,
         "sla_overdue": 6, "feedback": 18, "verify_fail": 4, "verify_pass": 4, "close": 1, "evaluate": 30}
REASON = {"reject": "不属于受理范围", "escalate": "需多部门联动", "return": "不属于本部门职责", "assist_feedback": "已配合处置",
          "feedback": "已处置完毕，现场已整改", "verify_fail": "现场仍未整改到位", "request_extension": "需协调施工单位",
          "request_shelve": "涉及历史遗留问题", "supervise": "请加快处置"}
LEAD_ACTIONS = {"sign", "return", "feedback", "request_extension", "request_shelve"}
RANK = {s: i for i, s in enumerate(["reported", "accepted", "dispatched", "handling", "handled", "verified", "closed"])}
ROADS = ["淮海中路", "复兴西路", "武康路", "乌鲁木齐中路", "华山路", "永嘉路", "建国西路", "肇嘉浜路"]
EVENT_COLS = ["case_id", "seq", "action", "from_state", "to_state", "actor_id", "actor_label", "at", "reason", "payload", "correlation_id"]
TZ = ZoneInfo("Asia/Shanghai")


def pick(rng, weights: dict):
    return rng.choices(list(weights), list(weights.values()))[0]


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))] if s else None


def checkpoint():  # SQLite: start each timed section with an empty WAL, so no section pays for another's pages
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def setup_territory():
    proj = LocalProjection(121.45, 31.21)  # 3 km x 2 km, vertices every 5 m like digitised boundaries

    def poly(x, y, w, h):
        return to_geojson(proj.inverse(shapely.segmentize(box(x, y, x + w, y + h), 5)))

    j = jurisdiction_upsert(code="BENCH", name="基准街道", boundary=poly(0, 0, 3000, 2000))
    Grid.objects.bulk_create([Grid(jurisdiction=j, code=f"G{r}{c}", name=f"第{r}{c}网格", **geometry_fields(poly(c * 500, r * 500, 500, 500)))
                              for r in range(4) for c in range(6)])
    category_seed(jurisdiction=j)
    depts, handlers = {}, {}
    for kind in ["urban_management", "police", "market", "community", "property", "operations", "disabled", "other"]:
        d = department_upsert(jurisdiction=j, code=kind, name=kind, kind=kind)
        handlers[d.pk] = user_create(username=f"h-{kind}", password="bench-handler-pw-1", role="handler", jurisdiction=j)
        person_create(jurisdiction=j, name=f"{kind} 处置员", department=d, user=handlers[d.pk])
        depts[kind] = d.pk
    op = user_create(username="bench-operator", password="bench-operator-pw-1", role="operator", jurisdiction=j, full_name="值班员")
    return SimpleNamespace(j=j, grids=list(Grid.objects.filter(jurisdiction=j)), depts=depts, handlers=handlers, op=op,
                           labels={None: "system", op.pk: actor_label(op)} | {u.pk: actor_label(u) for u in handlers.values()},
                           cats=list(Category.objects.filter(jurisdiction=j, parent__isnull=False)))


class Generator:
    """Case, event and party rows; a case's derived columns are the replay of its events."""

    def __init__(self, t):
        self.t, self.rng, self.pg = t, random.Random(ARGS.seed), connection.vendor == "postgresql"
        self.now = time.time()
        self.now_dt = datetime.fromtimestamp(self.now, UTC)
        self.cal, self.anchor = sla.calendar(), self.now_dt - timedelta(days=400)
        self.w_now = self.cal.working_seconds(self.anchor, self.now_dt)
        self.fields = Case._meta.concrete_fields
        self.base = {f.column: f.get_default() for f in self.fields} | {"units": "{}", "jurisdiction_id": t.j.pk}
        sla_share = sum(OPEN_MIX[s] for s in sla.STAGE_BY_STATE) / sum(OPEN_MIX.values())
        self.due_p, self.cache, self.days, self.expected = ARGS.due / sla_share, {}, Counter(), Counter()

    def fmt(self, ts):  # what Django stores: naive UTC text on SQLite, timestamptz on PostgreSQL
        dt = None if ts is None else datetime.fromtimestamp(ts, UTC)
        return dt if self.pg or dt is None else str(dt.replace(tzinfo=None))

    def code(self, ts) -> str:
        day = datetime.fromtimestamp(ts, TZ).date()
        self.days[day] += 1
        return f"{day:%Y%m%d}-{self.days[day]:04d}"

    def path(self, cat, channel, final):
        """The whole loop with occasional side flows (open cases cut it at their state)."""
        r, depts = self.rng.random, list(self.t.depts.values())
        p = [("report", {"channel": channel, "size": cat.size})]
        if final in ("rejected", "merged"):
            return p + [("reject", {})] if final == "rejected" else p
        lead, assist = self.t.depts.get(cat.department_kind) or self.rng.choice(depts), ()
        p.append(("accept", {}))
        if r() < .03:
            p.append(("escalate", {}))
            assist = (self.rng.choice([d for d in depts if d != lead]),)
        if r() < .06:
            wrong = self.rng.choice([d for d in depts if d != lead])
            p += [("dispatch", {"lead_department_id": wrong, "assisting_ids": ()}), ("return", {})]
        p += [("dispatch", {"lead_department_id": lead, "assisting_ids": assist}), ("sign", {})]
        p += [("assist_feedback", {"department_id": assist[0]})] if assist else []
        p += [("request_extension", {"hours": 24.0}), ("approve_extension", {"hours": 24.0})] if r() < .03 else []
        p += [("supervise", {})] if r() < .02 else []
        p += ([("sla_warning", {})] + ([("sla_overdue", {})] if r() < .4 else [])) if final and r() < .08 else []
        p += [("feedback", {})] + ([("verify_fail", {}), ("feedback", {})] if r() < .05 else []) + [("verify_pass", {}), ("close", {})]
        rating = pick(self.rng, {"satisfied": 85, "basically_satisfied": 10, "unsatisfied": 5})
        return p + ([("evaluate", {"rating": rating, "comment": ""})] if final == "evaluated" else [])

    def derive(self, path):
        """replay() (cached per path shape) → snapshot columns, (from, to) per event, payload JSON, parties."""
        key = tuple((a, () if a in ("merge", "absorb") else tuple(p.items())) for a, p in path)
        if (hit := self.cache.get(key)) is None:
            snap, states, s, parties = replay(path), [], "", {}
            for a, p in path:
                states.append((s, ACTIONS[a].target or s))
                s = states[-1][1]
                if a in ("dispatch", "reassign"):  # as services._sync_parties: everyone ever dispatched keeps a row
                    parties[p["lead_department_id"]] = "lead"
                    parties.update(dict.fromkeys(p["assisting_ids"], "assisting"))
            active, cols = {snap.lead_department_id, *snap.assisting_ids}, SimpleNamespace()
            _write_snapshot(cols, snap)  # the service's own snapshot → columns (is_open and any future derived column)
            cols = {k: json.dumps(v) if isinstance(v, list) else v for k, v in vars(cols).items()}
            hit = self.cache[key] = (cols, states, [None if a in ("merge", "absorb") else json.dumps(p) for a, p in path],
                                     [(d, role, d in active) for d, role in parties.items()])
        return hit

    def final_case(self, created, state):
        cat, channel = self.rng.choice(self.t.cats), pick(self.rng, CHANNELS)
        path, ts = self.path(cat, channel, state), [created]
        for a, _ in path[1:]:
            ts.append(ts[-1] + HOURS[a] * 3600 * self.rng.uniform(.3, 1.7))
        return [path, ts, cat, channel, {}]

    def open_case(self, target):
        r, uni = self.rng.random, self.rng.uniform
        cat, channel = self.rng.choice(self.t.cats), pick(self.rng, CHANNELS)
        path, state = self.path(cat, channel, None), ""
        for i, (a, _) in enumerate(path):  # cut where the loop would move past the target state
            state = ACTIONS[a].target or state
            if RANK[state] > RANK[target]:
                path = path[:i]
                break
        stage = sla.STAGE_BY_STATE.get(target, "")
        path += [("request_shelve", {}), ("approve_shelve", {})] if stage == "handle" and r() < .02 else []
        cols, states, _, _ = self.derive(path)
        k = max(i for i, (a, _) in enumerate(path) if states[i][0] != states[i][1] or a in sla.RESTARTS)  # clock start
        due, limit, start = False, 0.0, self.now - self.rng.expovariate(1 / 86400)
        if stage:  # working time the stage has run: mostly fresh, 16 % late (already marked), --due late and unmarked
            limit = sla.stage_limit_seconds(SimpleNamespace(category=cat), stage, SimpleNamespace(**cols))
            x = r()
            due, late = x < self.due_p, uni(.81, .99) if r() < .5 else 1.02 + self.rng.expovariate(2)
            e = limit * (late if x < self.due_p + .16 else uni(0, .78))
            start = self.cal.add_working(self.anchor, max(0.0, self.w_now - e)).timestamp()
        ts = [0.0] * len(path)
        ts[k] = start
        for i in range(k - 1, -1, -1):
            ts[i] = ts[i + 1] - HOURS[path[i + 1][0]] * 3600 * uni(.3, 1.7)
        for i in range(k + 1, len(path)):
            ts[i] = min(self.now, ts[i - 1] + 600 * uni(.5, 1.5))
        if not stage:
            return [path, ts, cat, channel, {}]
        clock = SimpleNamespace(category=cat, sla_stage=stage, sla_started_at=datetime.fromtimestamp(start, UTC),
                                sla_limit_seconds=limit, sla_paused_seconds=0.0, sla_paused_since=None)
        if path[-1][0] == "approve_shelve":
            clock.sla_paused_since = datetime.fromtimestamp(ts[-1], UTC)
        sla._set_deadlines(clock)
        warn, deadline = (clock.warn_at.timestamp(), clock.deadline_at.timestamp()) if clock.deadline_at else (1e12, 1e12)
        truth = "overdue" if deadline <= self.now else "warning" if warn <= self.now else ""
        if due and truth:
            self.expected[truth] += 1
        elif truth:  # the sweep marked it when it happened: its events are in the log
            for a, at in [("sla_warning", warn), ("sla_overdue", deadline)][:1 + (truth == "overdue")]:
                path.append((a, {}))
                ts.append(min(self.now, max(ts[-1], at + uni(0, 60))))
        del clock.category
        return [path, ts, cat, channel, {k: self.fmt(v.timestamp()) if isinstance(v, datetime) else v for k, v in vars(clock).items()}]

    def rows(self, cid, code, spec, merged_into=None):
        (path, ts, cat, channel, clock), (t, rng, lead, events) = spec, (self.t, self.rng, None, [])
        cols, states, pjson, parties = self.derive(path)
        for i, (a, p) in enumerate(path):
            lead = p["lead_department_id"] if a in ("dispatch", "reassign") else lead
            actor = (t.handlers[lead].pk if a in LEAD_ACTIONS else t.handlers[p["department_id"]].pk if a == "assist_feedback"
                     else None if a.startswith("sla_") else t.op.pk)
            events.append((cid, i + 1, a, *states[i], actor, t.labels[actor], self.fmt(ts[i]), REASON.get(a, ""),
                           pjson[i] or json.dumps(p), f"{rng.getrandbits(128):032x}"))
        g = rng.choice(t.grids)
        row = self.base | cols | clock | {
            "id": cid, "code": code, "channel": channel, "category_id": cat.pk, "description": f"{cat.name}，请尽快处理",
            "address": f"{rng.choice(ROADS)}{rng.randint(1, 999)}号", "grid_id": g.pk, "priority": rng.choice((1, 2, 2, 2, 3)),
            "lon": rng.uniform(g.min_lon, g.max_lon), "lat": rng.uniform(g.min_lat, g.max_lat),
            "tracking_token": f"{rng.getrandbits(128):032x}", "created_at": self.fmt(ts[0]), "version": len(path),
            "updated_at": self.fmt(ts[-1]), "merged_into_id": merged_into,
            "closed_at": self.fmt(next((ts[i] for i, (a, _) in enumerate(path) if a == "close"), None))}
        return tuple(row[f.column] for f in self.fields), events, [(cid, d, role, active) for d, role, active in parties]


def insert(model, columns, rows) -> None:
    table, cols = model._meta.db_table, ", ".join(columns)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})", rows)  # noqa: S608


def generate(t):
    gen, n_final, buf, totals = Generator(t), ARGS.cases - ARGS.open, ([], [], []), Counter()

    def emit(cid, code, spec, merged_into=None):
        case, events, parties = gen.rows(cid, code, spec, merged_into)
        buf[0].append(case), buf[1].extend(events), buf[2].extend(parties)
        if len(buf[0]) >= 5000 or cid == ARGS.cases:
            with transaction.atomic():
                insert(Case, [f.column for f in gen.fields], buf[0])
                insert(CaseEvent, EVENT_COLS, buf[1])
                insert(CaseDepartment, ["case_id", "department_id", "role", "active"], buf[2])
            totals.update(cases=len(buf[0]), events=len(buf[1]), parties=len(buf[2]))
            [b.clear() for b in buf]

    t0, step, i = gen.now - 3 * 365 * 86400, (3 * 365 - 60) * 86400 / max(1, n_final), 0
    while i < n_final:  # closed history, oldest first; a merged duplicate comes right after the case it joined
        state, created = pick(gen.rng, FINAL_MIX), t0 + (i + gen.rng.random()) * step
        if state != "merged" or i + 1 == n_final:
            emit(i + 1, gen.code(created), gen.final_case(created, state))
            i += 1
            continue
        target, dup = gen.final_case(created, pick(gen.rng, {"evaluated": 6, "closed": 4})), gen.final_case(created + 600, "merged")
        tcode, dcode = gen.code(created), gen.code(created + 600)
        target[0].insert(1, ("absorb", {"case_id": i + 2, "case": dcode}))
        target[1].insert(1, created + 600 + HOURS["merge"] * 3600)
        target[1][2:] = [max(a, target[1][1]) for a in target[1][2:]]
        dup[0].append(("merge", {"into_case_id": i + 1, "into": tcode}))
        dup[1].append(target[1][1])
        emit(i + 1, tcode, target)
        emit(i + 2, dcode, dup, merged_into=i + 1)
        i += 2
    for k, spec in enumerate(sorted((gen.open_case(pick(gen.rng, OPEN_MIX)) for _ in range(ARGS.open)), key=lambda s: s[1][0])):
        emit(n_final + k + 1, gen.code(spec[1][0]), spec)
    CaseCounter.objects.bulk_create([CaseCounter(jurisdiction=t.j, day=d, last=n) for d, n in gen.days.items()])
    return gen, dict(totals)


def replay_check(rng) -> int:
    ids, events = rng.sample(range(1, ARGS.cases + 1), min(ARGS.cases, 500)), {}
    for cid, a, p in CaseEvent.objects.filter(case_id__in=ids).order_by("case_id", "seq").values_list("case_id", "action", "payload"):
        events.setdefault(cid, []).append((a, p))
    bad = [c.code for c in Case.objects.filter(pk__in=ids) if snapshot_of(c) != replay(events[c.pk]) or c.version != len(events[c.pk])]
    assert not bad, f"generated cases differ from their replay: {bad[:5]}"
    return len(ids)


def bench_queue(t, rng):
    code = Case.objects.filter(pk=rng.randint(1, ARGS.cases)).values_list("code", flat=True).get()
    grid = t.grids[9].code
    filters = {"none": {}, "state=open": {"state": "open"}, "lateness=overdue": {"lateness": "overdue"},
               "lateness=soon": {"lateness": "soon"}, f"grid={grid}": {"grid": grid}, "category=SJ01": {"category": "SJ01"},
               f"q={code[4:12]}": {"q": code[4:12]}}
    out = {}
    for name, f in filters.items():  # an untimed warm-up each, and the page query's plan
        qs = queue(user=t.op, jurisdiction=t.j, **f)
        out[name] = {"filter": f, "matches": qs.count(), "plan": qs[:50].explain().splitlines(), "total": [], "count": [], "page": []}
        list(qs[:50])
    for i in range(ARGS.queue_requests):
        r = out[list(filters)[i % len(filters)]]
        if sum(r["total"]) > ARGS.queue_budget * 1e3:
            continue
        t0 = time.perf_counter()
        qs = queue(user=t.op, jurisdiction=t.j, **r["filter"])
        qs.count()
        t1 = time.perf_counter()
        list(qs[:50])
        t2 = time.perf_counter()
        r["total"].append((t2 - t0) * 1e3), r["count"].append((t1 - t0) * 1e3), r["page"].append((t2 - t1) * 1e3)
    for r in out.values():
        r.update(n=len(r["total"]), p50_ms=pct(r["total"], .5), p95_ms=pct(r["total"], .95), count_p50_ms=pct(r["count"], .5),
                 page_p50_ms=pct(r["page"], .5))
    return out


def bench_sweep(gen):
    from django_tasks_db.models import DBTaskResult

    tasks, notes = DBTaskResult.objects.count(), Notification.objects.count()
    now, t0 = gen.now_dt, time.perf_counter()
    due = [Case.objects.filter(deadline_at__lte=now).exclude(sla_status="overdue").count(),
           Case.objects.filter(warn_at__lte=now, deadline_at__gt=now, sla_status="ok").count()]
    find_s, t0 = time.perf_counter() - t0, time.perf_counter()
    counts = sla_sweep(now=now)
    sweep_s, t0 = time.perf_counter() - t0, time.perf_counter()
    again = sla_sweep(now=now)
    return {"outbound_tasks_enqueued": DBTaskResult.objects.count() - tasks, "notifications": Notification.objects.count() - notes,
            "now": now.isoformat(), "expected": dict(gen.expected), "due_overdue_warning": due, "count_queries_s": find_s,
            "seconds": sweep_s, "marked": counts, "ms_per_case": sweep_s * 1e3 / max(1, counts["warning"] + counts["overdue"]),
            "second_run": again, "second_run_seconds": time.perf_counter() - t0}


def bench_transitions(t):
    """case_act next to raw inserts of the same number of CaseEvent rows, interleaved in blocks of --block cases
    (service, one commit per row, floor; the order rotates) so that every part sees the same load on a shared
    machine. The floor is what any transition through the ORM has to do: lock and read the case row (as case_act),
    update it, insert the event, commit."""
    from django_tasks_db.models import DBTaskResult

    cases = list(Case.objects.filter(jurisdiction=t.j, state="reported").order_by("id")
                 .values_list("id", "category__department_kind")[:ARGS.act + ARGS.profile_cases + 1])
    per_action = {}

    def loop(case_id, kind):
        lead = t.depts.get(kind) or t.depts["other"]
        for actor, action, reason, payload in [
            (t.op, "accept", "", {}), (t.op, "dispatch", "", {"lead_department_id": lead}), (t.handlers[lead], "sign", "", {}),
            (t.handlers[lead], "feedback", "已处置完毕", {}), (t.op, "verify_pass", "", {}), (t.op, "close", "", {}),
            (t.op, "evaluate", "", {"rating": "satisfied"}),
        ]:
            t0 = time.perf_counter()
            case_act(case_id=case_id, actor=actor, action=action, reason=reason, payload=payload)
            per_action.setdefault(action, []).append((time.perf_counter() - t0) * 1e3)
        return 7

    acted = cases[:min(ARGS.act, len(cases) - 1 - ARGS.profile_cases)]
    rest, ids, seq = cases[len(acted):], [c[0] for c in acted], iter(range(100_000, 10**9))

    def event(case_id):
        return CaseEvent(case_id=case_id, seq=next(seq), action="supervise", from_state="handling", to_state="handling",
                         actor=t.op, actor_label="raw", at=datetime.now(UTC), reason="raw", payload={})

    def raw(block):  # autocommit: one transaction per row, as each case_act commits
        for case_id in block:
            for _ in range(7):
                event(case_id).save()

    def floor(block):
        for case_id in block:
            for _ in range(7):
                with transaction.atomic():
                    case = Case.objects.select_for_update(of=("self",)).select_related("category").get(pk=case_id)
                    case.save(update_fields=["updated_at"])
                    event(case_id).save()

    parts = {"service": lambda block: [loop(*c) for c in block], "commit_per_row": lambda block: raw([c[0] for c in block]),
             "floor": lambda block: floor([c[0] for c in block])}
    seconds, tasks_before = dict.fromkeys(parts, 0.0), DBTaskResult.objects.count()
    for b, start in enumerate(range(0, len(acted), ARGS.block)):
        block = acted[start:start + ARGS.block]
        for name in list(parts)[b % 3:] + list(parts)[:b % 3]:
            checkpoint()
            t0 = time.perf_counter()
            parts[name](block)
            seconds[name] += time.perf_counter() - t0
    n = 7 * len(acted)
    tasks = DBTaskResult.objects.count() - tasks_before
    means = {a: sum(v) / len(v) for a, v in per_action.items()}
    with CaptureQueriesContext(connection) as ctx:  # one more loop of 7, counting its SQL statements
        loop(*rest[0])
    checkpoint()
    t0 = time.perf_counter()
    with transaction.atomic():
        CaseEvent.objects.bulk_create([event(ids[i % len(ids)]) for i in range(n)], batch_size=1000)
    bulk_s = time.perf_counter() - t0
    CaseEvent.objects.filter(seq__gte=100_000).delete()
    out = {"cases": len(acted), "transitions": n, "block_cases": ARGS.block, "service_seconds": seconds["service"],
           "service_per_s": n / seconds["service"], "per_action_ms_mean": means, "outbound_tasks_enqueued": tasks,
           "sql_per_loop_of_7": len(ctx.captured_queries), "sql_loop_of_7": [q["sql"][:120] for q in ctx.captured_queries],
           "commit_per_row_rows_per_s": n / seconds["commit_per_row"], "floor_per_s": n / seconds["floor"],
           "bulk_create_rows_per_s": n / bulk_s}
    out["ratio_vs_commit_per_row"] = out["service_per_s"] / out["commit_per_row_rows_per_s"]
    out["floor_ratio_vs_commit_per_row"] = out["floor_per_s"] / out["commit_per_row_rows_per_s"]
    out["ratio_vs_floor"] = out["service_per_s"] / out["floor_per_s"]
    out["ratio_vs_bulk_create"] = out["service_per_s"] / out["bulk_create_rows_per_s"]
    if out["ratio_vs_commit_per_row"] < .3 and len(rest) > 1:
        prof, text = cProfile.Profile(), io.StringIO()
        prof.runcall(lambda: [loop(*c) for c in rest[1:]])
        pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(40)
        per = 1e3 / (7 * (len(rest) - 1))
        out |= {"profile_transitions": 7 * (len(rest) - 1), "profile_cumulative": text.getvalue().splitlines()[6:],
                "profile_tottime_top": [f"{tt * per:.3f} ms/transition {cc:>6} {f[0].rsplit('/', 2)[-1]}:{f[1]} {f[2]}"
                                        for f, (cc, _, tt, _, _) in sorted(pstats.Stats(prof).stats.items(), key=lambda kv: -kv[1][2])[:20]]}
    return out


def main() -> None:
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    t = setup_territory()
    setup_s, t0 = time.perf_counter() - t0, time.perf_counter()
    gen, rows = generate(t)
    gen_s, t0 = time.perf_counter() - t0, time.perf_counter()
    with connection.cursor() as cur:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Case, CaseEvent, CaseDepartment]):
            cur.execute(statement)
        if connection.vendor == "postgresql" or ARGS.sqlite_analyze:
            cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")  # PG: as autovacuum would
    analyze_s, rng = time.perf_counter() - t0, random.Random(ARGS.seed + 1)
    gen.cache.clear()  # a server holds no such cache: leave the garbage collector the heap a server would have
    gc.collect()
    checked = replay_check(rng)
    states = dict(Case.objects.values_list("state").annotate(n=Count("id")).order_by())
    print(f"generated {rows} in {gen_s:.0f}s (setup {setup_s:.1f}s, analyze {analyze_s:.1f}s); states {states}", flush=True)
    queue_r = bench_queue(t, rng)
    checkpoint()
    sweep_r = bench_sweep(gen)
    tr = bench_transitions(t)
    version = connection.pg_version if connection.vendor == "postgresql" else connection.Database.sqlite_version
    result = {"params": vars(ARGS), "db_version": version, "nproc": os.cpu_count(), "python": sys.version.split()[0],
              "django": django.__version__, "setup_seconds": setup_s, "generate_seconds": gen_s, "analyze_seconds": analyze_s,
              "rows": rows, "states": states, "replay_checked": checked, "queue": queue_r, "sweep": sweep_r, "transitions": tr}
    out = OUT / f"cases-{ARGS.db}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(f"{'queue filter':<22} {'matches':>8} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'count p50':>9} {'page p50':>9}")
    for name, r in queue_r.items():
        print(f"{name:<22} {r['matches']:>8} {r['n']:>4} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['count_p50_ms']:>9.1f} {r['page_p50_ms']:>9.1f}")
    print(f"sweep: {sweep_r['seconds']:.2f}s, marked {sweep_r['marked']} (expected {sweep_r['expected']}), "
          f"{sweep_r['ms_per_case']:.2f} ms/case, {sweep_r['notifications']} notifications, "
          f"{sweep_r['outbound_tasks_enqueued']} outbound tasks; second run {sweep_r['second_run_seconds']:.2f}s")
    print(f"transitions: {tr['service_per_s']:.0f}/s through case_act ({tr['sql_per_loop_of_7'] / 7:.1f} SQL statements each, "
          f"{tr['outbound_tasks_enqueued']} outbound tasks); one commit per row {tr['commit_per_row_rows_per_s']:.0f} rows/s "
          f"(ratio {tr['ratio_vs_commit_per_row']:.3f}); floor {tr['floor_per_s']:.0f}/s (floor/raw "
          f"{tr['floor_ratio_vs_commit_per_row']:.3f}, service/floor {tr['ratio_vs_floor']:.2f}); "
          f"bulk_create {tr['bulk_create_rows_per_s']:.0f} rows/s (ratio {tr['ratio_vs_bulk_create']:.3f})")
    print("\n".join(tr.get("profile_tottime_top", [])[:12]) + f"\nwrote {out}")
    connection.close()
    if not ARGS.keep:
        scratch_db(create=False)


if __name__ == "__main__":
    main()
