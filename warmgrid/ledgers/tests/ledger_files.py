"""Ledger files the tests build: rows of a registry-format CSV in any encoding."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from warmgrid.lib.idnumber import make_id_number

HEADERS = ("姓名", "公民身份号码", "联系电话", "楼栋", "单元", "房号")


def new_id(n: int, birth=dt.date(1961, 5, 4)) -> str:
    return make_id_number("370102", birth + dt.timedelta(days=n), 201 + 2 * (n % 400))


def write_csv(path: Path, rows, *, encoding: str = "gbk", headers=HEADERS) -> Path:
    lines = [",".join(headers)] + [",".join(str(v) for v in row) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def good_rows(world, count: int, *, building=None, start: int = 0) -> list[tuple]:
    building = building or world.building_a
    names = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许"
    return [(f"{names[n % len(names)]}{'嘉怡子涵浩宇'[n % 6]}{'明华芳丽强军'[(n // 6) % 6]}",
             new_id(start + n), f"1390000{start + n:04d}", building.name, "2", "301")
            for n in range(count)]
