"""Makes ledger_sample.xls, the .xls fixture of test_ledger_reading.py.

Nothing in the project writes .xls (xlrd only reads it), so the file was made once with
xlwt 1.3.0 in a throwaway virtualenv and committed:

    python -m venv /tmp/xlwt && /tmp/xlwt/bin/pip install xlwt==1.3.0
    /tmp/xlwt/bin/python warmgrid/lib/tests/data/make_ledger_xls.py

The test states what it expects from the layout below, not from reading the file.
"""

import datetime as dt
from pathlib import Path

import xlwt  # not a project dependency: see above

DATE = xlwt.easyxf(num_format_str="yyyy-mm-dd")

book = xlwt.Workbook(encoding="utf-8")
sheet = book.add_sheet("残疾人名册")
# Row 1: a title merged over A:F. Rows 2-3: a two-row header, "联系方式" merged over
# E:F above "手机" and "固定电话", the other headers merged down over both rows.
sheet.write_merge(0, 0, 0, 5, "幸福社区残疾人名册")
for column, header in enumerate(["序号", "姓名", "身份证号", "出生日期"]):
    sheet.write_merge(1, 2, column, column, header)
sheet.write_merge(1, 1, 4, 5, "联系方式")
sheet.write(2, 4, "手机")
sheet.write(2, 5, "固定电话")
# Row 4: the ID number as text with an X, a date cell, the mobile as a number.
sheet.write(3, 0, 1)
sheet.write(3, 1, "𠮷㐀明")
sheet.write(3, 2, "11010519491231002X")
sheet.write(3, 3, dt.date(1949, 12, 31), DATE)
sheet.write(3, 4, 13812345678)
sheet.write(3, 5, "0531-88888888")
# Rows 5-6: the same landline merged down over two people; row 5's ID number typed
# into a number cell (a float: digits lost).
sheet.write(4, 0, 2)
sheet.write(4, 1, "欧阳娜娜")
sheet.write(4, 2, 370102199001011234.0)
sheet.write(4, 4, "13912345678")
sheet.write_merge(4, 5, 5, 5, "0531-66666666")
sheet.write(5, 0, 3)
sheet.write(5, 1, "买买提·艾力")
sheet.write(5, 2, "650102198001010012")

second = book.add_sheet("流动人口")
for column, header in enumerate(["姓名", "身份证号", "居住状态"]):
    second.write(0, column, header)
second.write(1, 0, "李四")
second.write(1, 1, "370102198505050023")
second.write(1, 2, "流动")

book.add_sheet("空表")

book.save(str(Path(__file__).with_name("ledger_sample.xls")))
