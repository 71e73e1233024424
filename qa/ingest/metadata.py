"""Citation metadata of a plan: the catalog entry first, and what it does not say read from the document's own text.

Pure: text in, fields out. This module assembles the fields and holds their precedence; the rules that read each
one are :mod:`qa.ingest.metadata_titles` (title, kind), :mod:`qa.ingest.metadata_issuers` (issuer, date),
:mod:`qa.ingest.metadata_years` and :mod:`qa.ingest.metadata_regions`, on the ground of
:mod:`qa.ingest.metadata_text`. The rule tables are data: ``qa/data/document_kinds.toml`` (what a title's ending
says the document is, and which kinds keep to their own year) and ``qa/data/issuers.toml`` (how a body's name
ends, seal marks, short forms, the bodies and titles that mean the whole country, words that only look like
places). Each field is taken from the first source below that gives it; a field no source gives stays empty
and the ingest notes say so.

- title: a Markdown ``#`` title; the notice title ``关于印发《…》的通知`` (the whole notice title, as the
  document heads itself; a body written before 关于 is its issuer); the first heading line, joined over up to
  three lines, that ends with a kind's word (an attachment's title after its ``附件N`` line, a cover title with
  its ``（2019—2030年）`` line); the web page's ``标题：``; the parser's title.
- issuer: the 落款 (body lines right before a date line, or body and date on one line: a cover's too); a law's
  adoption note (``…第十三届全国人民代表大会常务委员会第十五次会议通过`` -> 全国人民代表大会常务委员会); the
  body the notice title names as the one that 印发s it; a 落款 at the end; a metadata block (发文机关,
  发布机构, 来源 when it names a body, not a web site); a red-head ``XX文件`` line. An attachment printed as a
  file of its own states none of these: read alone, its issuer stays empty.
- date: the 落款's; the latest adoption or revision date of a law; a metadata block's 发文日期, 印发日期,
  发布时间, 发布日期, 成文日期 (in this order: web pages put their upload day in 成文日期).
- years: every year of a span in the title (``2019—2030年``, ``十四五`` -> 2021..2025), or the title's year;
  else the date's year, and for a plan kind (规划, 行动计划, 实施方案) through its last ``到YYYY年`` target
  (at most 15 years on); a notice, law, list or explanation keeps to its own year. No date and no year in the
  title: no years (targets alone do not say when a plan starts).
- region: the place chain a body's name or the title begins with (``深圳市龙岗区卫生健康局`` -> 深圳市龙岗区,
  ``《海南省…》政策解读`` -> 海南省); else 全国 for a national body (国务院, 全国人民代表大会常务委员会,
  国家卫生健康委员会 …) or a national title (中华人民共和国…法, 健康中国…).
- kind: the title's ending (规划, 行动计划, 实施方案, 工作要点, 通知, 条例, 法, 清单, 解读, 意见 …).

An attachment ingested with the notice that lists it (:func:`qa.ingest.documents.link_attachments`) takes what
neither its catalog entry nor its text gives from the notice: issuer, date, region, and years from the notice's date
(:func:`infer_info`'s ``notice``). A catalog entry or staff correction wins over everything, the text over the notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qa.ingest.metadata_issuers import (
    DATE_KEYS,
    ISSUER_KEYS,
    body_name,
    find_adoption,
    find_signature,
    is_body,
    key_values,
    parse_date,
    red_head,
)
from qa.ingest.metadata_regions import region_of, short_title_of
from qa.ingest.metadata_text import TAIL_LINES, display_lines, head_lines, title_form
from qa.ingest.metadata_titles import INNER_TITLE, find_notice_title, heading_title, kind_of
from qa.ingest.metadata_years import parse_years, plan_years, title_years, years_from

if TYPE_CHECKING:
    from qa.ingest.parsing import ParsedPlan

__all__ = ["METADATA_VERSION", "DocumentInfo", "TextMetadata", "infer_info", "read_metadata"]

# Bump when the rules read different metadata from the same text: plans without a catalog entry re-ingest.
METADATA_VERSION = "2"

# -------------------------------------------------------------------------------------------- the assembly


@dataclass(frozen=True)
class DocumentInfo:
    """Citation metadata of one plan. Empty strings / 0 mean unknown."""

    doc_id: str
    title: str
    short_title: str = ""
    issuer: str = ""
    region: str = ""
    year: int = 0  # the first of ``years``
    date: str = ""
    years: tuple[int, ...] = ()  # every year the plan covers: 2019..2030 for a (2019—2030年) plan
    kind: str = ""  # 规划, 行动计划, 实施方案, 工作要点, 通知, 条例, 法, 清单, 解读, 意见 … (:func:`kind_of`)

    @property
    def citation_title(self) -> str:
        return self.short_title or self.title or self.doc_id


@dataclass(frozen=True)
class TextMetadata:
    """What a document's own text says of it; "" / () for what it does not say. ``sources`` names where each
    found field came from (``{"issuer": "落款"}``)."""

    title: str = ""
    short_title: str = ""
    issuer: str = ""
    date: str = ""
    years: tuple[int, ...] = ()
    region: str = ""
    kind: str = ""
    sources: dict[str, str] = field(default_factory=dict)


def _first(*candidates: tuple[str, str]) -> tuple[str, str]:
    return next(((value, source) for value, source in candidates if value), ("", ""))


def read_metadata(text: str, markdown: str = "", parsed_title: str = "", parsed_metadata: dict[str, str] | None = None) -> TextMetadata:
    """Title, issuer, date, years, region and kind of a document from its text (see the module doc for the order
    of the sources). ``markdown``: a Markdown file's ``#`` title; ``parsed_*``: what the parser lifted."""
    meta = dict(parsed_metadata or {})
    lines = display_lines(text)
    head = head_lines(lines)
    tail = [line for line in lines if line][-TAIL_LINES:]
    keyed = key_values(head)

    notice_at, notice, notice_body = find_notice_title(head)
    heading_at, heading = heading_title(head)
    titles = [(markdown, "Markdown # title")]
    for at, value, source in sorted(((notice_at, notice, "notice title"), (heading_at, heading, "heading"))):
        if at >= 0:
            titles.append((value, source))
    title, title_from = _first(*titles, (keyed.get("标题", ""), "标题"), (title_form(parsed_title), "parser"))

    signed_by, signed_on = find_signature(head)
    adopted_by, adopted_on = find_adoption("\n".join(head))
    tail_by, tail_on = find_signature(tail) if not signed_by else ("", "")
    key_body = next(((keyed[k], k) for k in ISSUER_KEYS if k in keyed), ("", ""))
    issuer, issuer_from = _first(
        (signed_by, "落款"), (adopted_by, "adoption note"), (notice_body if title == notice else "", "notice title"),
        (tail_by, "落款"), key_body, (red_head(head), "红头"),
        (body_name(meta["发布机构"]) if is_body(meta.get("发布机构", "")) else "", "发布机构"),
    )
    key_date = next(((keyed[k], k) for k in DATE_KEYS if k in keyed), ("", ""))
    date, date_from = _first(
        (signed_on, "落款"), (adopted_on, "adoption note"), (tail_on, "落款"), key_date,
        *((parse_date(meta.get(k, "")), k) for k in ("日期", "成文日期", "发布日期")),
    )
    kind = kind_of(title)
    years = plan_years(title, kind, date, text)
    region = region_of(issuer, title)
    short = title
    if title == notice and (m := INNER_TITLE.search(notice)) and any(title_form(line) == m[1] for line in lines if line):
        short = m[1]  # the notice prints the plan it issues: its clauses are that plan's
    sources = {"title": title_from, "issuer": issuer_from, "date": date_from}
    return TextMetadata(
        title, short_title_of(short, region), issuer, date, years, region, kind,
        {k: v for k, v in sources.items() if v},
    )


# ---------------------------------------------------------------------------------------- with the catalog


def infer_info(
    doc_id: str, parsed: ParsedPlan, entry: dict | None, text: str = "", markdown: str = "",
    notice: DocumentInfo | None = None, listed_as: str = "",
) -> tuple[DocumentInfo, list[str]]:
    """Catalog entry first (a staff correction merged over it by the caller); what it lacks is read from the text;
    what neither gives, of an attachment that ``notice`` lists as ``listed_as`` (附件2), is the notice's: its issuer,
    date and region, and years counted from its date (its year) as the document's own kind and targets say.
    Returns the info and notes on what could not be inferred and what was inherited."""
    entry = dict(entry or {})
    found = read_metadata(text or parsed.front_matter, markdown, parsed.title, parsed.metadata)
    title = str(entry.get("title") or found.title)
    issuer = str(entry.get("issuer") or found.issuer)
    date = str(entry.get("date") or found.date)
    kind = str(entry.get("kind") or (kind_of(title) if entry.get("title") else found.kind))
    if entry.get("years"):
        years = parse_years(entry["years"])
    elif entry.get("year"):
        year = int(entry["year"])
        spanned = title_years(title)
        years = spanned if spanned[:1] == (year,) else (year,)
    elif entry.get("title") or entry.get("date"):
        years = plan_years(title, kind, date, text)
    else:
        years = found.years
    region = str(entry.get("region") or (region_of(issuer, title) if entry.get("issuer") or entry.get("title") else found.region))
    inherited: list[str] = []
    if notice is not None:
        if not issuer and notice.issuer:
            issuer = notice.issuer
            inherited.append("issuer")
        if not date and notice.date:
            date = notice.date
            inherited.append("date")
        if not years and (start := int(date[:4]) if date else notice.year):
            years = years_from(start, kind, text)
            inherited.append("years")
        if not region and notice.region:
            region = notice.region
            inherited.append("region")
    year = int(entry.get("year") or (years[0] if years else 0))
    notes: list[str] = []
    if not entry:
        missing = [name for name, value in (("title", title), ("issuer", issuer), ("region", region), ("years", years), ("date", date), ("kind", kind)) if not value]
        notes.append("no catalog entry: metadata inferred from the text" + (f"; could not infer {', '.join(missing)}" if missing else ""))
    if inherited and notice is not None:
        fields = ", ".join(inherited[:-1]) + " and " + inherited[-1] if len(inherited) > 1 else inherited[0]
        notes.append(f"{fields} from the notice {notice.title} that lists it as {listed_as or '附件'}")
    if entry.get("short_title"):
        short_title = str(entry["short_title"])
    elif entry.get("title") or entry.get("region") or "region" in inherited:
        short_title = short_title_of(found.short_title if title == found.title else title, region)
    else:
        short_title = found.short_title
    info = DocumentInfo(doc_id, title or doc_id, short_title, issuer, region, year, date, tuple(years), kind)
    return info, notes
