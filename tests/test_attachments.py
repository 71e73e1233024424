"""A notice and its attachments published as separate files (qa/ingest/attachments.py, link_attachments in
qa/ingest/documents.py, Ingestor.run): table-driven on small invented notices and attachments."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.ingest.attachments import Attachment, attachment_heading, listed_attachments, match_strength
from qa.ingest.documents import Document, awaits_notice, build_document, link_attachments, lists_attachments

UNSEEN = Path(__file__).resolve().parent / "fixtures" / "unseen"

# ------------------------------------------------------------------------------------ an attachment's head


@pytest.mark.parametrize(
    ("text", "heading"),
    [
        ("附件2\n\n江州市儿童健康促进专项行动计划\n\n儿童健康是发展的保障。\n一、主要目标\n", Attachment(2, "江州市儿童健康促进专项行动计划")),
        ("附件\n\n青崖县某某服务能力提升实施方案\n一、总体要求\n", Attachment(None, "青崖县某某服务能力提升实施方案")),
        ("附件５\n《江州市某某实施方案》\n政策解读\n我市出台《方案》。\n", Attachment(5, "《江州市某某实施方案》政策解读")),
        ("附件三：\n江州市家庭医生签约服务工作方案\n一、目标\n", Attachment(3, "江州市家庭医生签约服务工作方案")),
        ("附件1\n省级相关部门职责清单\n部门 | 职责与任务\n", Attachment(1, "省级相关部门职责清单")),
        ("江州市2024年卫生健康工作要点\n一、加强基层\n", None),  # a plan of its own
        ("江卫发〔2025〕3号\n关于印发《江州市某某方案》的通知\n附件：江州市某某方案\n", None),  # a notice
    ],
)
def test_attachment_heading(text: str, heading: Attachment | None) -> None:
    assert attachment_heading(text) == heading


# ------------------------------------------------------------------------------------- a notice's list


@pytest.mark.parametrize(
    ("text", "listed"),
    [
        # one a line, blank lines between them, the 落款 after the list
        ("请遵照执行。\n\n附件：1.省级相关部门职责清单\n\n2.江州市儿童健康促进专项行动计划\n\n江州市卫生健康委员会\n2025年3月17日\n",
         [(1, "省级相关部门职责清单"), (2, "江州市儿童健康促进专项行动计划")]),
        # run together on one line
        ("附件：1.江州市甲实施方案 2.江州市乙行动计划 3.江州市丙清单\n", [(1, "江州市甲实施方案"), (2, "江州市乙行动计划"), (3, "江州市丙清单")]),
        ("附件：1、江州市甲实施方案；2、江州市乙行动计划\n", [(1, "江州市甲实施方案"), (2, "江州市乙行动计划")]),
        # a name wrapped over two lines (a PDF's line end)
        ("附件：1.江州市健康体重管理与健康食品产业\n发展行动\n2.江州市丙清单\n", [(1, "江州市健康体重管理与健康食品产业发展行动"), (2, "江州市丙清单")]),
        # one attachment, unnumbered
        ("附件：青崖县某某服务能力提升实施方案（2024—2026年）\n\n青崖县卫生健康局\n", [(None, "青崖县某某服务能力提升实施方案（2024—2026年）")]),
        # a web page's 附件列表: labelled names with their file suffixes
        ("附件列表：\n附件1：省级相关部门职责清单.docx\n附件5.《江州市某某实施方案》政策解读.doc\n附件二、江州市乙行动计划.pdf\n",
         [(1, "省级相关部门职责清单"), (5, "《江州市某某实施方案》政策解读"), (2, "江州市乙行动计划")]),
        # a reference inside a sentence is no list, a numbered clause no item of one
        ("2.工作机制。各部门履行职责（附件1：省级相关部门职责清单）。\n3.加强宣传。\n", []),
        ("一、总体要求\n1.到2025年建成社区医院5家。\n", []),
    ],
)
def test_listed_attachments(text: str, listed: list[tuple[int | None, str]]) -> None:
    assert [(a.number, a.title) for a in listed_attachments(text)] == listed


@pytest.mark.parametrize(
    ("own", "listed", "strength"),
    [
        (Attachment(2, "江州市乙行动计划"), Attachment(2, "江州市乙行动计划"), 3),
        (Attachment(5, "《江州市某某实施方案》政策解读"), Attachment(5, "江州市某某实施方案政策解读"), 3),  # 《》 or not
        (Attachment(1, "省级相关部门“将健康融入所有政策”职责清单"), Attachment(1, "省级相关部门\"将健康融入所有政策\"职责清单"), 3),
        (Attachment(None, "青崖县某某实施方案（2024—2026年）"), Attachment(None, "青崖县某某实施方案(2024—2026年)"), 2),
        (Attachment(1, "江州市甲实施方案"), Attachment(None, "江州市甲实施方案"), 2),
        (Attachment(3, "江州市儿童健康促进专项行动计划"), Attachment(3, "江州市儿童健康促进行动计划"), 1),  # a close name, same number
        (Attachment(None, "江州市儿童健康促进专项行动计划"), Attachment(None, "江州市儿童健康促进行动计划"), 0),  # close but no number
        (Attachment(3, "江州市乙行动计划"), Attachment(2, "江州市乙行动计划"), 0),  # another number
        (Attachment(2, "江州市乙行动计划"), Attachment(2, "江州市丙清单"), 0),  # the same number, another document
    ],
)
def test_match_strength(own: Attachment, listed: Attachment, strength: int) -> None:
    assert match_strength(own, listed) == strength


# -------------------------------------------------------------------------------- documents read together

NOTICE = """江卫发〔2025〕3号
江州市卫生健康委员会
关于印发《江州市儿童健康促进实施方案》的通知
各区卫生健康局：
现将《江州市儿童健康促进实施方案》印发给你们，请认真贯彻执行。

附件：1.省级相关部门职责清单
2.江州市儿童健康促进专项行动计划
3.江州市老年健康行动计划（2024—2026年）
4.江州市托育服务工作方案

江州市卫生健康委员会
2025年3月17日
"""

ATTACHMENTS = {
    # no region of its own: the notice's too
    "duties.txt": "附件1\n\n省级相关部门职责清单\n\n一、省卫生健康委：统筹推进。\n二、省教育厅：开展健康教育。\n",
    # years from the notice's year through its own 到2030年 target (a plan kind)
    "children.txt": "附件2\n\n江州市儿童健康促进专项行动计划\n\n为保障儿童健康，制定本计划。\n一、主要目标\n到2030年，新生儿疾病筛查率达98.5%以上。\n二、工作举措\n（一）加强筛查。\n",
    # years of its own title
    "elderly.txt": "附件3\n\n江州市老年健康行动计划（2024—2026年）\n\n一、目标\n建成老年友善医疗机构。\n",
    # its own 落款 wins over the notice's
    "childcare.txt": "附件4\n\n江州市托育服务工作方案\n\n一、目标\n新增托位300个。\n\n江州市托育服务中心\n2025年4月1日\n",
    # the same heading form, listed by no notice: nothing inherited
    "unlisted.txt": "附件5\n\n江州市未列出的行动计划\n\n一、目标\n建成社区医院5家。\n",
}


def _build(name: str, text: str, entry: dict | None = None) -> Document:
    return build_document(name, text.encode("utf-8"), entry)


def _linked(**extra: str) -> dict[str, Document]:
    docs = [_build("notice.txt", NOTICE)] + [_build(name, text) for name, text in {**ATTACHMENTS, **extra}.items()]
    return {doc.source_name: doc for doc in link_attachments(docs)}


NOTE = "from the notice 关于印发《江州市儿童健康促进实施方案》的通知 that lists it as"


@pytest.mark.parametrize(
    ("name", "issuer", "date", "years", "region", "note"),
    [
        ("duties.txt", "江州市卫生健康委员会", "2025-03-17", (2025,), "江州市", f"issuer, date, years and region {NOTE} 附件1"),
        ("children.txt", "江州市卫生健康委员会", "2025-03-17", tuple(range(2025, 2031)), "江州市", f"issuer, date and years {NOTE} 附件2"),
        ("elderly.txt", "江州市卫生健康委员会", "2025-03-17", (2024, 2025, 2026), "江州市", f"issuer and date {NOTE} 附件3"),
        ("childcare.txt", "江州市托育服务中心", "2025-04-01", (2025,), "江州市", ""),
        ("unlisted.txt", "", "", (), "江州市", ""),
        ("notice.txt", "江州市卫生健康委员会", "2025-03-17", (2025,), "江州市", ""),
    ],
)
def test_an_attachment_takes_what_it_does_not_say_from_the_notice_that_lists_it(
    name: str, issuer: str, date: str, years: tuple[int, ...], region: str, note: str
) -> None:
    doc = _linked()[name]
    assert (doc.info.issuer, doc.info.date, doc.info.years, doc.info.year, doc.info.region) == (issuer, date, years, years[0] if years else 0, region)
    inherited = [n for n in doc.notes if "from the notice" in n]
    assert inherited == ([note] if note else [])


def test_the_inference_note_says_what_is_still_missing_and_the_region_prefixes_the_citation_title() -> None:
    duties = _linked()["duties.txt"]
    assert duties.notes[0] == "no catalog entry: metadata inferred from the text"  # was: could not infer issuer, region, years, date
    assert duties.info.short_title == "江州市省级相关部门职责清单" and duties.info.title == "省级相关部门职责清单"
    alone = _build("unlisted.txt", ATTACHMENTS["unlisted.txt"])
    assert alone.notes[0] == "no catalog entry: metadata inferred from the text; could not infer issuer, years, date"


def test_a_catalog_entry_or_correction_wins_over_the_notice() -> None:
    entry = {"issuer": "江州市教育局", "years": [2025, 2026]}
    docs = link_attachments([_build("notice.txt", NOTICE), _build("duties.txt", ATTACHMENTS["duties.txt"], entry)])
    duties = docs[1]
    assert (duties.info.issuer, duties.info.years, duties.info.date, duties.info.region) == ("江州市教育局", (2025, 2026), "2025-03-17", "江州市")
    assert [n for n in duties.notes if "from the notice" in n] == [f"date {NOTE} 附件1"]  # the region is the entry's issuer's


def test_without_a_notice_listing_it_nothing_is_inherited() -> None:
    children = _build("children.txt", ATTACHMENTS["children.txt"])
    other = _build("other.txt", NOTICE.replace("2.江州市儿童健康促进专项行动计划", "2.江州市妇幼健康行动计划"))
    assert link_attachments([children])[0] is children
    assert link_attachments([other, children])[1] is children
    assert awaits_notice(children) and not lists_attachments(children) and lists_attachments(other) and not awaits_notice(other)


def test_the_same_notice_printed_twice_gives_once_and_notices_that_disagree_give_nothing() -> None:
    printed = _build("notice.webpage.txt", "标题：关于印发《江州市儿童健康促进实施方案》的通知\n" + NOTICE)
    children = _build("children.txt", ATTACHMENTS["children.txt"])
    agreed = link_attachments([_build("notice.txt", NOTICE), printed, children])[2]
    assert agreed.info.issuer == "江州市卫生健康委员会" and len([n for n in agreed.notes if "from the notice" in n]) == 1
    other = _build("other.txt", NOTICE.replace("2025年3月17日", "2024年5月6日"))
    disagreed = link_attachments([_build("notice.txt", NOTICE), other, children])[2]
    assert disagreed.info == children.info
    assert disagreed.notes[-1].startswith("listed as an attachment by notices that disagree, notice.txt (江州市卫生健康委员会, 2025-03-17); other.txt")


def test_the_hash_covers_what_was_inherited() -> None:
    alone = _build("children.txt", ATTACHMENTS["children.txt"])
    linked = _linked()["children.txt"]
    again = _linked()["children.txt"]
    redated = link_attachments([_build("notice.txt", NOTICE.replace("2025年3月17日", "2025年3月18日")), alone])[1]
    assert linked.content_hash != alone.content_hash and linked.content_hash == again.content_hash
    assert redated.content_hash not in (alone.content_hash, linked.content_hash)
    relinked = link_attachments(list(_linked().values()))  # linking what is linked changes nothing
    assert [d.content_hash for d in relinked] == [d.content_hash for d in _linked().values()]


def test_a_notice_with_its_plan_inside_lists_a_separately_published_copy() -> None:
    notice = UNSEEN / "notice-with-attachment.txt"
    copy = "附件\n\n青崖县基层医疗卫生服务能力提升三年行动实施方案（2024—2026年）\n\n一、总体要求\n（一）指导思想\n坚持以基层为重点。\n"
    docs = link_attachments([build_document(notice.name, notice.read_bytes()), _build("copy.txt", copy)])
    info = docs[1].info
    assert (info.issuer, info.date, info.years, info.region) == ("青崖县卫生健康局", "2024-03-15", (2024, 2025, 2026), "青崖县")
    assert docs[1].notes[-1] == "issuer and date from the notice 关于印发《青崖县基层医疗卫生服务能力提升三年行动实施方案（2024—2026年）》的通知 that lists it as 附件"


# ----------------------------------------------------------------------------------------------- ingest


def test_one_ingest_of_a_folder_links_attachments_and_re_ingest_follows_the_notice(tmp_path: Path) -> None:
    from qa.ingest.pipeline import Ingestor
    from qa.settings import Settings
    from tests.test_ingestion import CountingEmbeddings
    from vectorstore import InMemoryClauseStore

    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "notice.txt").write_text(NOTICE, encoding="utf-8")
    for name in ("children.txt", "duties.txt"):
        (folder / name).write_text(ATTACHMENTS[name], encoding="utf-8")
    settings = Settings.load({"store_path": tmp_path / "store"}, env={})
    store = InMemoryClauseStore("fake-16")
    ingestor = Ingestor(settings, store, CountingEmbeddings())
    report = ingestor.run([folder])
    assert [(r.name, r.status) for r in report.results] == [("children.txt", "new"), ("duties.txt", "new"), ("notice.txt", "new")]
    meta = store.documents()["children"].metadata
    assert (meta["issuer"], meta["date"], meta["years"], meta["region"]) == ("江州市卫生健康委员会", "2025-03-17", "2025,2026,2027,2028,2029,2030", "江州市")
    assert f"issuer, date and years {NOTE} 附件2" in meta["notes"]
    assert "江州市卫生健康委员会 · 江州市 · 2025—2030" in report.table()
    assert {r.status for r in ingestor.run([folder]).results} == {"unchanged"}
    # ingested alone, an attachment has no notice: it is described again without one
    assert [r.status for r in ingestor.run([folder / "children.txt"]).results] == ["updated"]
    assert store.documents()["children"].metadata["issuer"] == ""
    (folder / "notice.txt").write_text(NOTICE.replace("2025年3月17日", "2025年3月18日"), encoding="utf-8")
    statuses = {r.name: r.status for r in ingestor.run([folder]).results}
    assert statuses == {"children.txt": "updated", "duties.txt": "updated", "notice.txt": "updated"}
    assert store.documents()["duties"].metadata["date"] == "2025-03-18"
    # several files given at once are read together too
    assert {r.status for r in ingestor.run([folder / "notice.txt", folder / "duties.txt"]).results} == {"unchanged"}
