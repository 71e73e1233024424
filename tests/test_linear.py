"""The numbering, contents and web-chrome rules stay linear on adversarial lines: long runs of the characters their
patterns repeat (spaces, digits, leaders, word characters) are read in well under a second."""

from __future__ import annotations

import time

import pytest

from qa.ingest.cleaning import is_contents_entry, is_web_chrome, source_lines
from qa.ingest.markers import read_marker
from qa.ingest.parsing import parse_plan

N = 20_000

ADVERSARIAL = [
    "附件" + " " * N + "x",  # the attachment heading's optional number and colon
    "附件" + " " * N + "：x",
    "附 " * N,
    "附件列表" + " " * N + "x",
    "专栏" + " " * N,
    "——" + "社" * N + "：",
    "第" + "一" * N + "篇",
    "1" * N + ".",
    "(" + "1" * N,
    "一、" + "…" * N + "1",
    "." * N + "9" * N,
    "技术支持" + "a" * N + "@",
    "首页 " + "菜单 " * N,
    "https://" + "a" * N + " " * N + "1/",
    "2025/5/20 " + "1" * N,
    "文" + " " * N + "号：x",
    "索引号：" + " 主题分类：" * (N // 10),
]


@pytest.mark.parametrize("line", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_rules_are_linear_on_adversarial_lines(line: str) -> None:
    started = time.perf_counter()
    read_marker(line)
    is_contents_entry(line)
    is_web_chrome(line)
    source_lines(line)
    parse_plan("一、目标\n" + line)
    assert time.perf_counter() - started < 1.0
