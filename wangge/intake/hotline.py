"""12345 hotline work orders (工单): reading the export, mapping its columns, validating rows, writing results back.

Pure functions (no database): `read_table` sniffs the file (xlsx/xls through python-calamine; csv in UTF-8 with
or without BOM, UTF-16 or GBK/GB18030, detected), `map_columns` finds our fields among the headers the hotline
systems use, `validate_rows` checks every row and marks duplicate order numbers, `CategoryMatcher` maps a
诉求类型 to one of our minor categories by name, and `write_xlsx` / `write_csv` write the results in the
hotline's own layout.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from wangge.core.errors import ApplicationError

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_CONTENT = 2000  # a report's description; the order keeps the whole text
HEADER_SEARCH_ROWS = 10


class FileRejected(ApplicationError):
    status = 422
    code = "invalid_file"


class UnsupportedFile(ApplicationError):
    status = 415
    code = "unsupported_file"


# --------------------------------------------------------------------------------------------- reading


@dataclass
class Table:
    header: list[str]
    rows: Iterator[list]  # data rows after the header, cell values as read
    format: str  # xlsx / xls / ods / csv
    encoding: str = ""
    header_line: int = 1  # 1-based line of the header row in the file


_BINARY_MAGIC = {
    b"%PDF": gettext_noop("PDF"), b"\x89PNG": gettext_noop("PNG image"), b"\xff\xd8\xff": gettext_noop("JPEG image"),
    b"GIF8": gettext_noop("GIF image"), b"Rar!": gettext_noop("RAR archive"), b"\x1f\x8b": gettext_noop("gzip archive"),
    b"7z\xbc\xaf": gettext_noop("7-zip archive"), b"MZ": gettext_noop("program"),
}


def _decode(raw: bytes) -> tuple[str, str]:
    """Text of a csv export: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        # GB18030 decodes most byte soup; real text has no C0 controls besides tab and newlines.
        controls = sum(1 for c in text[:20000] if ord(c) < 32 and c not in "\t\r\n")
        if controls > 2 or "\x00" in text:
            continue
        return text, {"utf-8-sig": "utf-8-sig", "utf-16": "utf-16", "utf-8": "utf-8", "gb18030": "gbk"}[encoding]
    raise FileRejected(_("The file is not text in UTF-8 or GBK/GB18030, nor an Excel workbook: it cannot be read."),
                       code="undecodable")


def _sniff(raw: bytes, filename: str) -> str:
    if raw[:4] == b"PK\x03\x04":
        return "ods" if filename.lower().endswith(".ods") else "xlsx"
    if raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    for magic, what in _BINARY_MAGIC.items():
        if raw.startswith(magic):
            raise UnsupportedFile(_("This is a %(what)s, not a spreadsheet: upload the work-order export as xlsx or csv.")
                                  % {"what": _(what)})
    head = raw[:4096]
    if b"\x00" in head and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnsupportedFile(_("This is not a spreadsheet: upload the work-order export as xlsx or csv."))
    return "csv"


def _cell_text(value) -> str:
    """A cell as text, as written (citizens' words keep their full-width punctuation); 2511200001.0 → '2511200001'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_blank(row: Sequence) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def read_table(raw: bytes, *, filename: str = "") -> Table:
    """Open a work-order export. The header is the first of the first rows naming at least two known columns
    (exports often start with a title line); without one, the first non-empty row."""
    if not raw or not raw.strip():
        raise FileRejected(_("The file is empty."), code="empty_file")
    kind = _sniff(raw, filename)
    encoding = ""
    if kind == "csv":
        text, encoding = _decode(raw)
        rows: Iterator[list] = iter(csv.reader(io.StringIO(text, newline="")))
    else:
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
            sheet = book.get_sheet_by_index(0)
            rows = iter(sheet.iter_rows())
        except (CalamineError, ValueError, OSError) as exc:
            raise UnsupportedFile(_("The workbook cannot be opened (%(error)s): is it a real xlsx file?")
                                  % {"error": exc.__class__.__name__}) from exc
        except Exception as exc:  # python-calamine raises its own error classes for broken zips and XML
            raise UnsupportedFile(_("The workbook cannot be opened: %(error)s") % {"error": exc}) from exc
    read: list[list] = []  # every row read while looking for the header, blank ones too (lines keep their numbers)
    head: list[tuple[int, list]] = []
    for row in rows:
        read.append(row)
        if not _is_blank(row):
            head.append((len(read), row))
            if len(head) >= HEADER_SEARCH_ROWS or _known_columns(row) >= 2:
                break
    if not head:
        raise FileRejected(_("The file is empty."), code="empty_file")
    header_line, header = next(((n, r) for n, r in head if _known_columns(r) >= 2), head[0])
    rest = read[header_line:]

    def data() -> Iterator[list]:
        yield from rest
        yield from rows

    return Table(header=[_cell_text(h) for h in header], rows=data(), format=kind, encoding=encoding,
                 header_line=header_line)


# --------------------------------------------------------------------------------------------- columns

FIELDS: dict[str, tuple[str, ...]] = {
    "order_no": ("工单编号", "工单号", "编号", "工单编码", "工单流水号", "受理编号", "业务编号", "order_no"),
    "called_at": ("来电时间", "受理时间", "登记时间", "来电日期", "派单时间", "创建时间", "called_at"),
    "caller": ("诉求人/电话", "诉求人及电话", "来电人/电话", "诉求人/联系电话", "联系人/电话"),
    "caller_name": ("诉求人", "来电人", "联系人", "市民姓名", "姓名", "来电人姓名", "诉求人姓名", "caller_name"),
    "caller_phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "来电号码", "联系方式", "诉求人电话", "caller_phone"),
    "category": ("诉求类型", "问题类别", "诉求分类", "问题分类", "事项分类", "诉求类别", "业务类型", "category"),
    "content": ("诉求内容", "问题描述", "反映内容", "来电内容", "工单内容", "诉求描述", "具体诉求", "content"),
    "address": ("发生地址", "事发地址", "地址", "发生地点", "事发地点", "问题地址", "诉求地址", "address"),
    "department": ("承办单位", "处理部门", "承办部门", "责任单位", "主办单位", "department"),
    "due_at": ("办结时限", "办理时限", "要求办结时间", "办结期限", "截止时间", "处理时限", "due_at"),
}
REQUIRED = ("order_no", "content", "address")
LABELS = {"order_no": "工单编号", "called_at": "来电时间", "caller": "诉求人/电话", "caller_name": "诉求人",
          "caller_phone": "联系电话", "category": "诉求类型", "content": "诉求内容", "address": "发生地址",
          "department": "承办单位", "due_at": "办结时限"}
_SYNONYM = {syn.lower(): name for name, synonyms in FIELDS.items() for syn in synonyms}


def header_key(text) -> str:
    """'诉求内容（必填）*' → '诉求内容'; full-width to ASCII, no spaces; lower case for English headers."""
    s = unicodedata.normalize("NFKC", str(text or ""))
    s = re.sub(r"\s+|\*", "", s)
    s = re.sub(r"\((?:必填|选填|可选|required|optional)\)$", "", s, flags=re.IGNORECASE)
    return s.lower()


def _known_columns(row: Sequence) -> int:
    return sum(1 for v in row if isinstance(v, str) and header_key(v) in _SYNONYM)


def map_columns(header: Sequence[str]) -> dict[str, int]:
    """Our field → column index. Missing required columns are refused with their names (422)."""
    found: dict[str, int] = {}
    for i, text in enumerate(header):
        name = _SYNONYM.get(header_key(text))
        if name and name not in found:
            found[name] = i
    if "caller" in found:  # one column "诉求人/电话" holds both
        found.setdefault("caller_name", found["caller"])
        found.setdefault("caller_phone", found["caller"])
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        names = "、".join(LABELS[f] for f in missing)
        raise FileRejected(
            _("Required columns are missing: %(missing)s. The header row has: %(header)s.")
            % {"missing": names, "header": "、".join(h for h in header if h) or _("(nothing)")},
            code="missing_columns",
            details={"missing": [LABELS[f] for f in missing], "accepted": {LABELS[f]: list(FIELDS[f]) for f in missing}},
        )
    return found


# --------------------------------------------------------------------------------------------- values

_PHONE = re.compile(r"(?:\+?86[- ]?)?(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})")
_DT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                 r"(?:[\sT]*(上午|下午)?\s*(\d{1,2})\s*[:：时点]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2})(?:\.\d+)?\s*秒?)?\s*分?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\s*(\d{2})(\d{2})(\d{2})?)?$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(个)?\s*(工作日|自然日|天|日|小时|h|d)$", re.IGNORECASE)
EXCEL_EPOCH = datetime(1899, 12, 30)


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=SHANGHAI) if dt.tzinfo is None else dt


def parse_datetime(value) -> datetime | None:
    """A date/time as exports write it: Excel cells or serial numbers, 2025-11-20 09:31, 2025/11/20 9:31:05,
    2025年11月20日 9时31分, 20251120093100. Naive times are Shanghai time. '' → None; unreadable → ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=SHANGHAI)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 < value < 80000:  # an Excel serial date (1954–2119)
            return _aware(EXCEL_EPOCH + timedelta(days=float(value))).replace(microsecond=0)
        raise ValueError(f"{value!r} is not a date")
    s = unicodedata.normalize("NFKC", str(value)).strip()
    m = _DT.match(s)
    if m:
        y, mo, d, half, h, mi, sec = m.groups()
        hour = int(h or 0)
        if half == "下午" and hour < 12:
            hour += 12
        return datetime(int(y), int(mo), int(d), hour, int(mi or 0), int(sec or 0), tzinfo=SHANGHAI)
    m = _COMPACT.match(s)
    if m:
        y, mo, d, h, mi, sec = m.groups()
        return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0), tzinfo=SHANGHAI)
    try:
        serial = float(s)
    except ValueError:
        pass
    else:
        return parse_datetime(serial)
    raise ValueError(f"{s!r} is not a date")


def parse_due(value, called_at: datetime | None) -> datetime | None:
    """办结时限: a date/time, or a span after the call: 5个工作日 / 3天 / 24小时 (working days in office hours)."""
    if isinstance(value, str):
        m = _DURATION.match(unicodedata.normalize("NFKC", value).strip())
        if m:
            if called_at is None:
                raise ValueError(f"{value!r} needs a 来电时间 to count from")
            amount, unit = float(m.group(1)), m.group(3).lower()
            if unit in ("小时", "h"):
                return called_at + timedelta(hours=amount)
            if unit == "工作日":
                from wangge.cases.sla import calendar as office_hours  # as the SLA clocks count them

                calendar = office_hours()
                return calendar.add_working(called_at, amount * calendar.hours_per_day * 3600)
            return called_at + timedelta(days=amount)
    return parse_datetime(value)


def split_caller(text: str) -> tuple[str, str]:
    """'张先生/13812345678', '张先生 138-1234-5678', '13812345678' → (name, phone)."""
    s = re.sub(r"(?<=\d)[-\s](?=\d)", "", unicodedata.normalize("NFKC", text or "").strip())
    m = _PHONE.search(s)
    if m is None:
        return re.sub(r"[\s/,;、:：]+", " ", s).strip()[:50], ""
    name = re.sub(r"[\s/,;、:：()（）]+", " ", s[: m.start()] + " " + s[m.end():]).strip()
    return name[:50], m.group(1)


def clean_phone(text: str) -> str:
    s = unicodedata.normalize("NFKC", text or "").strip()
    return re.sub(r"\s+", "", s)[:32]


# --------------------------------------------------------------------------------------------- rows


def note(msgid: str, **args) -> dict:
    """A row's error or note as stored: the untranslated sentence (marked with gettext_noop) and its values, so that the page
    shows it in the reader's language and the results file in the street's (`note_text`)."""
    return {"msg": msgid, "args": args}


def note_text(item: dict | str) -> str:
    """A stored error or note in the active language (a plain string, such as a job's error, as it is)."""
    if not isinstance(item, dict):
        return str(item)
    try:
        return gettext(item["msg"]) % item.get("args", {})
    except (KeyError, TypeError, ValueError):
        return str(item.get("msg", ""))


@dataclass
class Row:
    line: int
    order_no: str
    data: dict = field(default_factory=dict)
    errors: list[dict | str] = field(default_factory=list)  # `note`s; a failed commit adds its error as text


ORDER_FIELDS = ("called_at", "caller_name", "caller_phone", "category_text", "content", "address", "department_text",
                "due_at")


def _get(row: Sequence, columns: dict[str, int], name: str):
    i = columns.get(name)
    return row[i] if i is not None and i < len(row) else None


def validate_rows(rows: Iterable[Sequence], columns: dict[str, int], *, first_line: int = 2) -> Iterator[Row]:
    """Every non-blank data row, validated. Dates are ISO strings in `data`; errors are sentences for the
    operator. A later row with an order number already seen is refused (the first one stands)."""
    seen: dict[str, int] = {}
    for line, raw in enumerate(rows, start=first_line):
        if _is_blank(raw):
            continue
        order_no = "".join(unicodedata.normalize("NFKC", _cell_text(_get(raw, columns, "order_no"))).split())
        r = Row(line=line, order_no=order_no[:64])
        if not order_no:
            r.errors.append(note(gettext_noop("No order number (工单编号).")))
        elif len(order_no) > 64:
            r.errors.append(note(gettext_noop("The order number is longer than 64 characters.")))
        elif order_no in seen:
            r.errors.append(note(gettext_noop("The same order number as line %(line)s."), line=seen[order_no]))
        else:
            seen[order_no] = line
        content = _cell_text(_get(raw, columns, "content"))
        if not content:
            r.errors.append(note(gettext_noop("No content (诉求内容).")))
        elif len("".join(content.split())) < 4:
            r.errors.append(note(gettext_noop("The content is shorter than 4 characters.")))
        called_at = None
        value = _get(raw, columns, "called_at")
        try:
            called_at = parse_datetime(value)
        except ValueError:
            r.errors.append(note(gettext_noop("Unreadable call time: %(value)s"), value=_cell_text(value)[:40]))
        due_at = None
        value = _get(raw, columns, "due_at")
        try:
            due_at = parse_due(value, called_at)
        except (ValueError, OverflowError):
            r.errors.append(note(gettext_noop("Unreadable deadline: %(value)s"), value=_cell_text(value)[:40]))
        name = _cell_text(_get(raw, columns, "caller_name"))
        phone = _cell_text(_get(raw, columns, "caller_phone"))
        if "caller" in columns:  # "诉求人/电话" in one column; a separate name or phone column wins
            both = split_caller(_cell_text(_get(raw, columns, "caller")))
            name = both[0] if columns["caller_name"] == columns["caller"] else name
            phone = both[1] if columns["caller_phone"] == columns["caller"] else phone
        elif name and not phone and _PHONE.search(name):
            name, phone = split_caller(name)
        name, phone = name[:50], clean_phone(phone)
        r.data = {
            "called_at": called_at.isoformat() if called_at else None,
            "caller_name": name, "caller_phone": phone,
            "category_text": _cell_text(_get(raw, columns, "category"))[:100],
            "content": content,
            "address": " ".join(_cell_text(_get(raw, columns, "address")).split())[:200],
            "department_text": _cell_text(_get(raw, columns, "department"))[:100],
            "due_at": due_at.isoformat() if due_at else None,
        }
        yield r


def as_datetime(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


# --------------------------------------------------------------------------------------------- categories

_SPLIT = re.compile(r"\s*(?:-|－|—|/|>|＞|\||、|·|→|》|\\)\s*")
_BRACKETS = re.compile(r"[(（][^)）]*[)）]")


def _name_keys(name: str) -> list[str]:
    s = unicodedata.normalize("NFKC", name or "").strip()
    keys = [re.sub(r"\s+", "", s)]
    plain = re.sub(r"\s+", "", _BRACKETS.sub("", s))
    if plain and plain not in keys:
        keys.append(plain)
    keys += [re.sub(r"\s+", "", inner) for inner in re.findall(r"[(（]([^)）]*)[)）]", s) if len(inner) >= 2]
    return [k for k in keys if k]


class CategoryMatcher:
    """诉求类型 → our minor category code, by name (the whole text, else its last part: '市容环境-暴露垃圾',
    '街面秩序>占道经营'); names match with or without their bracketed part ('占道经营（跨门营业）'). No match → None:
    the classifier decides."""

    def __init__(self, categories: Iterable[tuple[str, str]]):
        self.by_name: dict[str, str] = {}
        self.codes: set[str] = set()
        for code, name in categories:
            self.codes.add(code)
            for key in _name_keys(name):
                self.by_name.setdefault(key, code)
        self._memo: dict[str, str | None] = {}

    def __call__(self, text: str) -> str | None:
        if not text:
            return None
        if text not in self._memo:
            self._memo[text] = self._match(text)
        return self._memo[text]

    def _match(self, text: str) -> str | None:
        s = unicodedata.normalize("NFKC", text).strip()
        if s.upper() in self.codes:
            return s.upper()
        parts = [p for p in _SPLIT.split(s) if p]
        for candidate in [s, *reversed(parts)]:
            for key in _name_keys(candidate):
                code = self.by_name.get(key) or self.by_name.get(key.removesuffix("类")) or self.by_name.get(key.removesuffix("问题"))
                if code:
                    return code
        return None


# --------------------------------------------------------------------------------------------- results

RESULT_HEADER = ("工单编号", "办理结果", "办结时间", "承办单位", "处理状态")


def _fmt(value) -> str:
    if isinstance(value, datetime):
        return timezone.localtime(value, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else str(value)


def write_csv(rows: Iterable[Sequence], *, encoding: str = "utf-8-sig", header: Sequence[str] = RESULT_HEADER) -> bytes:
    """Rows as csv under `header` (the results by default): UTF-8 with a BOM (Excel opens it), or GBK/GB18030 for
    older systems."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_fmt(v) for v in row])
    return buf.getvalue().encode("gb18030" if encoding in ("gbk", "gb18030") else "utf-8-sig", errors="replace")


# The import template (下载模板): the columns in the order hotline exports usually have them.
TEMPLATE_FIELDS = ("order_no", "called_at", "caller_name", "caller_phone", "category", "content", "address", "department",
                   "due_at")
TEMPLATE_HEADER = tuple(LABELS[f] for f in TEMPLATE_FIELDS)
_WIDTHS = {"工单编号": 22, "办理结果": 60, "诉求内容": 60, "发生地址": 36, "来电时间": 20, "办结时间": 20, "办结时限": 20}


def write_xlsx(rows: Iterable[Sequence], *, header: Sequence[str] = RESULT_HEADER, sheet_name: str = "办理结果") -> bytes:
    """Rows as an xlsx sheet under `header` (constant memory: rows are streamed to the file); the results by default."""
    import tempfile

    import xlsxwriter

    with tempfile.TemporaryFile() as tmp:
        book = xlsxwriter.Workbook(tmp, {"constant_memory": True, "remove_timezone": True})
        sheet = book.add_worksheet(sheet_name)
        bold = book.add_format({"bold": True})
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for c, name in enumerate(header):
            sheet.set_column(c, c, _WIDTHS.get(name, 16))
        sheet.write_row(0, 0, header, bold)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(r, c, timezone.localtime(value, SHANGHAI).replace(tzinfo=None), when)
                elif value is not None:
                    sheet.write_string(r, c, str(value))
        book.close()
        tmp.seek(0)
        return tmp.read()

