# ruff: noqa: E402 - Django is set up (on the database chosen on the command line) before wangge is imported
"""12345 hotline import benchmark: a generated work-order export (GBK csv and xlsx), upload check, preview and
commit through the real services, each phase in its own process for its peak memory (ru_maxrss).

A fresh database (SQLite file in benchmarks/out/, or the scratch PostgreSQL database --pg-url, dropped and
created; never `wangge`) with the demo street (seed_demo's territory), its address gazetteer and the default
categories. The file has --rows orders: addresses on the demo roads written the ways people write them
(prefixes, full-width digits, Chinese numerals, rooms, crossings, 路/街 typos, a missing 号), a few % that
cannot be located, hotline category texts (names, 大类-小类 paths, unknown ones left to the classifier), call
times and deadlines in several formats. Timed: writing the files; `hotline_upload` (the synchronous check of
the request: sniff, decode, header, first row); `hotline_preview` (the job); `hotline_commit` (the job) on
--commit-rows of the new orders (all by default), chunk by chunk, rows/s and each chunk's transaction time; `hotline_results` + xlsx export.

    .venv/bin/python benchmarks/bench_hotline.py                                   # 100k rows, SQLite
    .venv/bin/python benchmarks/bench_hotline.py --rows 5000 --commit-rows 2000    # ~1 min
    .venv/bin/python benchmarks/bench_hotline.py --profile 1000                    # cProfile of 1000 commits
    .venv/bin/python benchmarks/bench_hotline.py --chunk 1000                      # orders per commit transaction
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
SQLITE = OUT / "bench_hotline.sqlite3"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["WANGGE_DEMO"] = "1"
os.environ.setdefault("WANGGE_LOG_LEVEL", "WARNING")
os.environ.setdefault("WANGGE_MEDIA_ROOT", str(OUT / "media"))

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
ap.add_argument("--pg-url", default="postgres://wangge:wangge@127.0.0.1:5432/wangge_bench_hotline", help="dropped and created")
ap.add_argument("--rows", type=int, default=100_000)
ap.add_argument("--commit-rows", type=int, default=0, help="commit only this many rows (0: all)")
ap.add_argument("--profile", type=int, default=0, help="cProfile the commit of this many rows (in its own run)")
ap.add_argument("--chunk", type=int, default=0, help="orders per commit transaction (0: hotline_services.COMMIT_CHUNK for the database)")
ap.add_argument("--unlocatable", type=float, default=0.03)
ap.add_argument("--seed", type=int, default=12345)
ap.add_argument("--phase", choices=["upload", "preview", "commit", "export"], help=argparse.SUPPRESS)
ap.add_argument("--arg", default="", help=argparse.SUPPRESS)
ARGS = ap.parse_args() if __name__ == "__main__" else ap.parse_args([])


def scratch_db(create: bool) -> str:
    if ARGS.db == "sqlite":
        if create:
            OUT.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE}"
    if not create:
        return ARGS.pg_url
    import psycopg
    from psycopg import sql

    base, _, name = ARGS.pg_url.rpartition("/")
    if name in ("", "wangge", "test_wangge", "postgres"):
        raise SystemExit(f"refusing to drop database {name!r}")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return ARGS.pg_url


os.environ["DATABASE_URL"] = scratch_db(create=__name__ == "__main__" and ARGS.phase is None)  # importing never drops it
import django

django.setup()
from django.core.management import call_command
from django.db import connection

from wangge.accounts.models import User
from wangge.cases.category_data import CATEGORIES
from wangge.cases.services import category_seed
from wangge.grids.demo import demo_street_load
from wangge.grids.demo_addresses import demo_addresses_load
from wangge.grids.models import Address
from wangge.intake import hotline, hotline_services
from wangge.intake.hotline_models import HotlineImport, HotlineImportRow

SH = ZoneInfo("Asia/Shanghai")
HEADER = ["工单编号", "来电时间", "诉求人", "联系电话", "诉求类型", "诉求内容", "发生地址", "承办单位", "办结时限"]
CN = "零一二三四五六七八九"
FULL = str.maketrans("0123456789", "０１２３４５６７８９")
UNLOCATABLE = ["某小区门口", "不详", "延安西路1000号", "家附近的菜场", "地铁站出口", "", "普陀区某路口", "中山公园旁边"]
PHRASES = ["已经好几天了", "希望尽快处理", "多次反映未解决", "影响居民出行", "晚上特别严重", "请相关部门到现场看看",
           "老人小孩经过很危险", "周边居民意见很大"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁沈顾陆钱汪姚"


def cn_number(n: int) -> str:
    if n < 10:
        return CN[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else CN[tens]) + "十" + (CN[ones] if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        tail = "" if rest == 0 else ("零" + CN[rest] if rest < 10 else ("一" if rest < 20 else "") + cn_number(rest))
        return CN[hundreds] + "百" + tail
    return str(n)


def address_variant(rng: random.Random, a: dict, roads: list[str]) -> str:
    """One real address written the way a caller or a hotline agent might."""
    road, number, lane, sub_lane, building = a["road"], a["number"], a["lane"], a["sub_lane"], a["building"]
    style = rng.random()
    if style < 0.07:
        road = road[:-1] + "街" if road.endswith("路") else road  # 长寿街 for 长寿路
    elif style < 0.10:
        road = road.removesuffix("路") if not lane else road  # 长寿123号
    digits = rng.random()  # as written: ASCII, full-width (１２３) or Chinese numerals (一百二十三)

    def num(s: str) -> str:
        if digits < 0.12:
            return s.translate(FULL)
        if digits < 0.2 and s.isdigit():
            return cn_number(int(s))
        return s

    text = road
    if lane:
        text += f"{num(lane)}弄"
        if sub_lane:
            text += f"{num(sub_lane)}支弄"
        if number:
            text += f"{num(number)}号" if rng.random() > 0.05 else num(number)
        if building:
            text += f"{num(building)}{rng.choice(['号楼', '幢', '栋'])}"
    else:
        text += f"{num(number)}号" if rng.random() > 0.06 else num(number)  # 号 left out
    r = rng.random()
    if r < 0.15:
        text += rng.choice(["502室", "3单元401室", "5楼", "1202室", "底楼"])
    elif r < 0.25:
        text += rng.choice(["门口", "旁边", "对面", "附近", "东侧人行道"])
    elif r < 0.30:
        text += f"(近{rng.choice(roads)})"
    r = rng.random()
    if r < 0.2:
        text = "上海市普陀区" + text
    elif r < 0.3:
        text = "普陀区长寿路街道" + text
    if rng.random() < 0.08:
        text = text.replace(road, road + " ", 1).replace("号", " 号", 1)  # 长寿路 123 号
    return text


def generate(n: int, addresses: list[dict], seed: int) -> list[list]:
    rng = random.Random(seed)
    roads = sorted({a["road"] for a in addresses})
    minors = [(m["name"], major["name"]) for major in CATEGORIES for m in major["children"]]
    unknown = ["咨询其他", "政策咨询", "投诉建议", "求助", "物业管理", "群租"]
    t0 = datetime(2025, 10, 1, 8, 0, tzinfo=SH)
    rows = []
    for i in range(n):
        called = t0 + timedelta(seconds=int(i * 60 * 24 * 60 / max(n, 1) * 0.9) + rng.randint(0, 59))
        fmt = rng.random()
        when = (called.strftime("%Y-%m-%d %H:%M:%S") if fmt < 0.6 else called.strftime("%Y/%m/%d %H:%M") if fmt < 0.85
                else called.strftime("%Y年%m月%d日 %H时%M分"))
        minor, major = rng.choice(minors)
        c = rng.random()
        category = minor if c < 0.6 else f"{major}-{minor}" if c < 0.8 else rng.choice(unknown)
        if rng.random() < ARGS.unlocatable:
            address = rng.choice(UNLOCATABLE)
        elif rng.random() < 0.02:
            address = f"{rng.choice(roads)}{rng.choice(roads)}路口".replace("路路口", "路口")
        else:
            address = address_variant(rng, rng.choice(addresses), roads)
        content = f"{address or '附近'}{rng.choice(['有', '发现', '存在'])}{minor}问题，{rng.choice(PHRASES)}。"
        if rng.random() < 0.3:
            content += rng.choice(PHRASES) + "。"
        name = rng.choice(SURNAMES) + rng.choice(["先生", "女士", "阿姨", "师傅", "同学"])
        phone = rng.choice(["13", "15", "18"]) + f"{rng.randrange(10 ** 9):09d}"
        due = rng.choice(["3个工作日", "5个工作日", "24小时", (called + timedelta(days=5)).strftime("%Y-%m-%d 17:00")])
        rows.append([f"{2510010000000 + i}", when, name, phone, category, content, address, "长寿路街道办事处", due])
    return rows


def write_csv_gbk(rows: list[list], path: Path) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("gb18030"))


def write_xlsx(rows: list[list], path: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("工单")
    sheet.write_row(0, 0, ["12345市民服务热线工单导出"])
    sheet.write_row(1, 0, HEADER)
    for r, row in enumerate(rows, start=2):
        sheet.write_row(r, 0, row)
    book.close()


def peak_mb() -> float:
    """This process's peak resident memory: VmHWM (Linux's ru_maxrss of an exec'd child starts at the parent's
    RSS at fork time, so it would report the parent's memory), else ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def operator():
    return User.objects.get(username="operator")


def child(phase: str, arg: str) -> dict:
    """Run one phase in a fresh process (its own peak memory); returns what it prints as JSON."""
    cmd = [sys.executable, __file__, "--db", ARGS.db, "--pg-url", ARGS.pg_url, "--phase", phase, "--arg", arg,
           "--commit-rows", str(ARGS.commit_rows), "--profile", str(ARGS.profile), "--chunk", str(ARGS.chunk)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=os.environ)  # noqa: S603 - ourselves
    if out.stderr.strip():
        print(out.stderr[-3000:], file=sys.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------- phases


def phase_upload(path: str) -> dict:
    jurisdiction = operator().jurisdiction
    raw = Path(path).read_bytes()
    t = time.perf_counter()
    from django.db import transaction

    with transaction.atomic():  # the request's check + the stored file (the job is queued, not run)
        batch = hotline_services.hotline_upload(jurisdiction=jurisdiction, actor=operator(), filename=Path(path).name, raw=raw)
    return {"import_id": batch.pk, "seconds": time.perf_counter() - t, "peak_rss_mb": peak_mb(), "bytes": len(raw)}


def phase_preview(import_id: str) -> dict:
    t = time.perf_counter()
    batch = hotline_services.hotline_preview(batch_id=int(import_id))
    return {"seconds": time.perf_counter() - t, "peak_rss_mb": peak_mb(), "status": batch.status, "counts": batch.counts,
            "error": batch.error}


def classifier_stand_in() -> str:
    """Routing's text classifier, where it is not usable (not installed, or its tables not migrated yet): a
    stand-in with no model (None), so orders whose category is not one of ours wait in triage, as they would
    before a model is trained."""
    import types

    from django.db import transaction

    try:
        from wangge.routing import classify

        with transaction.atomic():
            classify.classify_text(jurisdiction=operator().jurisdiction, text="垃圾满溢")
        return "wangge.routing.classify"
    except Exception as exc:  # noqa: BLE001 - any failure: the stand-in
        why = f"{exc.__class__.__name__}"
    stub = types.ModuleType("wangge.routing.classify")
    stub.classify_text = lambda **kw: None
    sys.modules["wangge.routing.classify"] = stub
    import wangge.routing

    wangge.routing.classify = stub
    return f"stand-in with no model (the real one: {why})"


def phase_commit(import_id: str) -> dict:
    batch_id = int(import_id)
    classifier = classifier_stand_in()
    from django.utils import timezone

    HotlineImport.objects.filter(pk=batch_id).update(status="committing", commit_requested_at=timezone.now(),
                                                     heartbeat_at=timezone.now())
    limit = ARGS.profile or ARGS.commit_rows
    if limit:  # commit only the first `limit` rows: mark the rest done for this run (restored afterwards)
        todo = list(HotlineImportRow.objects.filter(batch_id=batch_id, done=False).order_by("line")
                    .values_list("pk", flat=True)[limit:])
        for i in range(0, len(todo), 5000):
            HotlineImportRow.objects.filter(pk__in=todo[i:i + 5000]).update(done=True, outcome="skipped")
    total = HotlineImportRow.objects.filter(batch_id=batch_id, done=False).count()
    HotlineImport.objects.filter(pk=batch_id).update(progress_total=total, progress_done=0)
    profiler = cProfile.Profile() if ARGS.profile else None
    chunk_seconds: list[float] = []  # each chunk is one transaction: on SQLite it holds the write lock this long
    real_chunk = hotline_services._commit_chunk

    def timed_chunk(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return real_chunk(*args, **kwargs)
        finally:
            chunk_seconds.append(time.perf_counter() - t0)

    hotline_services._commit_chunk = timed_chunk
    t = time.perf_counter()
    if profiler:
        profiler.enable()
    batch = hotline_services.hotline_commit(batch_id=batch_id, chunk_size=ARGS.chunk or None)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - t
    chunks = sorted(chunk_seconds[:-1] or chunk_seconds)  # the last call finds nothing left to do
    result = {"seconds": seconds, "rows": total, "rows_per_s": total / seconds if seconds else None, "classifier": classifier,
              "chunk": ARGS.chunk or hotline_services.commit_chunk(), "chunks": len(chunks),
              "chunk_seconds": {"median": chunks[len(chunks) // 2], "p95": chunks[int(len(chunks) * 0.95)],
                                "max": chunks[-1]} if chunks else None,
              "peak_rss_mb": peak_mb(), "status": batch.status, "counts": batch.counts}
    if profiler:
        s = io.StringIO()
        pstats.Stats(profiler, stream=s).sort_stats("cumulative").print_stats(45)
        (OUT / "hotline-commit-profile.txt").write_text(s.getvalue())
        s = io.StringIO()
        pstats.Stats(profiler, stream=s).sort_stats("tottime").print_stats(30)
        (OUT / "hotline-commit-profile-tottime.txt").write_text(s.getvalue())
        profiler.dump_stats(OUT / "hotline-commit.prof")  # for pstats' callers / callees
    return result


def phase_export(import_id: str) -> dict:
    t = time.perf_counter()
    rows = hotline_services.hotline_results(jurisdiction=operator().jurisdiction, actor=operator(), batch_id=int(import_id))
    content = hotline.write_xlsx(rows)
    return {"seconds": time.perf_counter() - t, "bytes": len(content), "peak_rss_mb": peak_mb()}


# --------------------------------------------------------------------------------------------- main


def main() -> None:
    if ARGS.phase:
        print(json.dumps({"upload": phase_upload, "preview": phase_preview, "commit": phase_commit,
                          "export": phase_export}[ARGS.phase](ARGS.arg), default=str))
        return
    result: dict = {"params": {k: v for k, v in vars(ARGS).items() if k not in ("phase", "arg")},
                    "nproc": os.cpu_count(), "python": sys.version.split()[0], "db": connection.vendor}
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    jurisdiction = demo_street_load()
    category_seed(jurisdiction=jurisdiction)
    addresses = demo_addresses_load(jurisdiction=jurisdiction)
    result["setup_seconds"] = time.perf_counter() - t
    result["addresses"] = addresses
    rows = [dict(zip(("road", "number", "lane", "sub_lane", "building"), r, strict=True)) for r in
            Address.objects.filter(jurisdiction=jurisdiction).values_list("road", "number", "lane", "sub_lane", "building")]
    t = time.perf_counter()
    data = generate(ARGS.rows, rows, ARGS.seed)
    csv_path, xlsx_path = OUT / f"hotline-{ARGS.rows}.csv", OUT / f"hotline-{ARGS.rows}.xlsx"
    write_csv_gbk(data, csv_path)
    t_csv = time.perf_counter() - t
    write_xlsx(data, xlsx_path)
    result["generate"] = {"seconds_csv": t_csv, "seconds_xlsx": time.perf_counter() - t - t_csv,
                          "csv_mb": csv_path.stat().st_size / 1e6, "xlsx_mb": xlsx_path.stat().st_size / 1e6}
    del data
    print(f"setup {result['setup_seconds']:.1f} s; {len(rows)} addresses; files {result['generate']}", flush=True)
    for kind, path in (("xlsx", xlsx_path), ("csv_gbk", csv_path)):
        up = child("upload", str(path))
        pre = child("preview", str(up["import_id"]))
        result[kind] = {"upload": up, "preview": pre}
        print(f"{kind}: upload check {up['seconds']:.2f} s ({up['peak_rss_mb']:.0f} MB), preview {pre['seconds']:.1f} s "
              f"({pre['peak_rss_mb']:.0f} MB) {pre['counts']}", flush=True)
    import_id = str(result["csv_gbk"]["upload"]["import_id"])
    com = child("commit", import_id)
    result["commit"] = com
    print(f"commit: {com['rows']} rows in {com['seconds']:.1f} s = {com['rows_per_s']:.0f} rows/s "
          f"({com['peak_rss_mb']:.0f} MB), {com['chunks']} chunks of {com['chunk']}: {com['chunk_seconds']} s; "
          f"{com['counts']}", flush=True)
    if not ARGS.profile:
        exp = child("export", import_id)
        result["export"] = exp
        print(f"export xlsx: {exp['seconds']:.1f} s ({exp['peak_rss_mb']:.0f} MB)", flush=True)
    out = OUT / f"hotline-{connection.vendor}-{ARGS.rows}{'-profile' if ARGS.profile else ''}.json"
    out.write_text(json.dumps(result, indent=2, default=str, ensure_ascii=False))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
