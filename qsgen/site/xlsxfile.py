"""The bytes of an .xlsx workbook of plain cells (shared strings, numbers, blanks) in the few formats scores.xlsx uses, exactly as XlsxWriter 3 writes them.

scores.xlsx was made with XlsxWriter (Workbook with in_memory, its cells written one by one, a
frozen header row with a filter, column widths): importing it and driving it cost ~0.14 s of
the build's main process at 10,000 records (~2,200 rows: an object per cell, every string
escaped through its generic XML writer at close), in the part of a clean build where that
process competes with the render workers for the two cores. This module writes the same parts
straight from the rows, with the same bytes (scores_xlsx ~0.054 s instead of ~0.11 s and the
import): its API is the subset of XlsxWriter's that
site/xlsx.py calls (Workbook, add_worksheet, add_format, set_properties, write_string,
write_number, write_blank, freeze_panes(1, 0), autofilter over the written rows, set_column,
close), and tests/test_xlsxfile.py builds workbooks through both and compares the bytes
(XlsxWriter stays a test dependency). Anything outside that subset raises instead of being
written otherwise.
"""

from __future__ import annotations

import datetime as _dt
import re
import zipfile
from pathlib import Path
from typing import Any

_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_THEME = (Path(__file__).parent / "xlsx_theme.xml").read_bytes()  # (XlsxWriter's theme1.xml, as it is)

_STR_MAX = 32767  # characters of a cell's string (UTF-16 units); longer ones XlsxWriter cuts
_ESCAPE = re.compile('["&<>\n]')
_CONTROL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_LEADING = re.compile(r"^\s")
_TRAILING = re.compile(r"\s$")

# The format properties this writer knows (those site/xlsx.py gives), with XlsxWriter's defaults.
_FORMAT_KEYS = {"font_name", "font_size", "bold", "bg_color", "border", "align", "valign", "text_wrap", "num_format"}


def _data(text: str) -> str:
    """Text of an element as XlsxWriter's _xml_data_element writes it."""
    if _ESCAPE.search(text):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _controls(text)


def _controls(text: str) -> str:
    text = _CONTROL_ESCAPE.sub(r"_x005F\1", text)
    return _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)


def _attr(text: str) -> str:
    if not _ESCAPE.search(text):
        return text
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\n", "&#xA;"))


def _col_name(col: int) -> str:
    name = _COLS.get(col)
    if name is None:
        name, n = "", col + 1
        while n:
            n, rem = divmod(n - 1, 26)
            name = chr(65 + rem) + name
        _COLS[col] = name
    return name


_COLS: dict[int, str] = {}


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _utf16_cut(text: str, limit: int) -> str:
    out, n = [], 0
    for c in text:
        n += 2 if ord(c) > 0xFFFF else 1
        if n > limit:
            break
        out.append(c)
    return "".join(out)


class Format:
    """A cell format (the properties of XlsxWriter's add_format that this writer knows)."""

    def __init__(self, props: dict[str, Any]) -> None:
        unknown = set(props) - _FORMAT_KEYS
        if unknown:
            raise ValueError(f"xlsxfile: format properties not supported: {sorted(unknown)}")
        self.font = (props.get("font_name", "Calibri"), props.get("font_size", 11), bool(props.get("bold")))
        color = props.get("bg_color")
        self.fill = None if color is None else color.lstrip("#").upper()
        self.border = int(props.get("border", 0))
        if self.border not in (0, 1):
            raise ValueError("xlsxfile: only border 1 (thin) is supported")
        self.align = props.get("align")
        self.valign = props.get("valign")
        if self.align not in (None, "center") or self.valign not in (None, "top", "vcenter"):
            raise ValueError("xlsxfile: alignment not supported")
        self.wrap = bool(props.get("text_wrap"))
        num = props.get("num_format", 0)
        if not isinstance(num, str) and num != 0:
            raise ValueError("xlsxfile: only a num_format string is supported")
        self.num = None if num in (0, "General") else num
        self.key = (self.font, self.fill, self.border, self.align, self.valign, self.wrap, self.num)
        self.xf: int | None = None  # its index in the workbook's cellXfs, once used


class Worksheet:
    """One sheet: its rows' XML made as they are written (rows and cells in order)."""

    def __init__(self, book: Workbook, name: str, index: int) -> None:
        self.book, self.name, self.index = book, name, index
        self.rows: list[str] = []  # each row's cells' XML
        self.row = -1  # the row being written
        self.col = -1  # its last cell
        self.number = ""  # the row's number (1, 2, …)
        self.cells: list[str] = []
        self.ncols = 0
        self.widths: dict[int, int] = {}  # column -> its width in pixels
        self.frozen = False
        self.filter: tuple[int, int, int, int] | None = None

    def _cell(self, row: int, col: int) -> str:
        if row == self.row and col > self.col:  # (the next cell of the row)
            self.col = col
            return _col_name(col) + self.number
        if row != self.row:
            if row != self.row + 1 or (row == 0 and self.rows):
                raise ValueError("xlsxfile: rows are written in order, each once")
            self._end_row()
            self.row, self.col, self.number = row, -1, str(row + 1)
        if col <= self.col:
            raise ValueError("xlsxfile: cells are written in order, each once")
        self.col = col
        return _col_name(col) + self.number

    def _end_row(self) -> None:
        if self.row >= 0:
            self.rows.append("".join(self.cells))
            self.ncols = max(self.ncols, self.col + 1)
        self.cells = []

    def write_string(self, row: int, col: int, string: str, cell_format: Format) -> int:
        ref = self._cell(row, col)
        error = 0
        if len(string) > _STR_MAX // 2 and _utf16_len(string) > _STR_MAX:
            string, error = _utf16_cut(string, _STR_MAX), -2
        self.cells.append(f'<c r="{ref}" s="{self.book._xf(cell_format)}" t="s"><v>{self.book._string(string)}</v></c>')
        return error

    def write_number(self, row: int, col: int, number: float | int, cell_format: Format) -> int:
        if number != number or number in (float("inf"), float("-inf")):
            raise TypeError("xlsxfile: NAN/INF not supported")
        ref = self._cell(row, col)
        self.cells.append(f'<c r="{ref}" s="{self.book._xf(cell_format)}"><v>{number:.16G}</v></c>')
        return 0

    def write_blank(self, row: int, col: int, _blank: Any, cell_format: Format) -> int:
        ref = self._cell(row, col)
        self.cells.append(f'<c r="{ref}" s="{self.book._xf(cell_format)}"/>')
        return 0

    def freeze_panes(self, row: int, col: int) -> None:
        if (row, col) != (1, 0):
            raise ValueError("xlsxfile: only the first row is frozen")
        self.frozen = True

    def autofilter(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        if (first_row, first_col) != (0, 0):
            raise ValueError("xlsxfile: a filter starts at A1")
        self.filter = (first_row, first_col, last_row, last_col)

    def set_column(self, first_col: int, last_col: int, width: float) -> None:
        if width < 1:
            raise ValueError("xlsxfile: column widths of at least 1")
        pixels = int(width * 7 + 0.5) + 5  # (Calibri 11: 7 pixels a digit, 5 of padding)
        for col in range(first_col, last_col + 1):
            self.widths[col] = pixels

    def _xml(self) -> str:
        self._end_row()
        self.row = -2  # (closed)
        if not self.rows or not self.frozen:
            raise ValueError("xlsxfile: a sheet has a frozen header row")
        last = _col_name(self.ncols - 1) + str(len(self.rows))
        if last == "A1":
            raise ValueError("xlsxfile: a sheet of more than one cell")
        out = [_HEAD, f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="A1:{last}"/><sheetViews>',
               '<sheetView tabSelected="1" workbookViewId="0">' if self.index == 0 else '<sheetView workbookViewId="0">',
               '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
               '<selection pane="bottomLeft"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>']
        if self.widths:
            out.append("<cols>")
            cols = sorted(self.widths)
            start = prev = cols[0]
            for col in [*cols[1:], None]:
                if col is not None and col == prev + 1 and self.widths[col] == self.widths[prev]:
                    prev = col
                    continue
                pixels = self.widths[start]
                out.append(f'<col min="{start + 1}" max="{prev + 1}" width="{(pixels * 256 // 7) / 256.0:.16g}"'
                           + ('' if pixels == 64 else ' customWidth="1"') + "/>")
                if col is not None:
                    start = prev = col
            out.append("</cols>")
        out.append("<sheetData>")
        spans = f"1:{self.ncols}"  # (every row has every column: scores_xlsx writes blanks too)
        for i, cells in enumerate(self.rows):
            if cells.count("<c ") != self.ncols:
                raise ValueError("xlsxfile: every row has a cell in every column")
            out.append(f'<row r="{i + 1}" spans="{spans}">{cells}</row>')
        out.append("</sheetData>")
        if self.filter is not None:
            out.append(f'<autoFilter ref="{self._range()}"/>')
        out.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
        return "".join(out)

    def _range(self) -> str:
        _r0, _c0, r1, c1 = self.filter
        return f"A1:{_col_name(c1)}{r1 + 1}"


class Workbook:
    """What site/xlsx.py asks of xlsxwriter.Workbook: made with a binary file (io.BytesIO) that
    close() writes the workbook into, and XlsxWriter's options for that (in_memory; strings
    written as strings: they are here)."""

    def __init__(self, buf: Any, options: dict[str, Any] | None = None) -> None:
        known = {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
        if any(known.get(k, not v) != v for k, v in (options or {}).items()):
            raise ValueError("xlsxfile: workbook options not supported")
        self.buf = buf
        self.sheets: list[Worksheet] = []
        self.formats: list[Format] = []
        self.xfs: dict[tuple, int] = {}  # format key -> its xf index (1, 2, … in order of first use)
        self.used: list[Format] = []  # a format of each xf, in that order
        self.strings: dict[str, int] = {}
        self.count = 0  # string cells
        self.properties: dict[str, Any] = {}

    def add_worksheet(self, name: str) -> Worksheet:
        sheet = Worksheet(self, name, len(self.sheets))
        self.sheets.append(sheet)
        return sheet

    def add_format(self, props: dict[str, Any]) -> Format:
        fmt = Format(props)
        self.formats.append(fmt)
        return fmt

    def set_properties(self, props: dict[str, Any]) -> None:
        self.properties = dict(props)

    def _xf(self, fmt: Format) -> int:
        index = fmt.xf
        if index is None:
            index = self.xfs.get(fmt.key)
            if index is None:
                index = self.xfs[fmt.key] = len(self.xfs) + 1
                self.used.append(fmt)
            fmt.xf = index
        return index

    def _string(self, text: str) -> int:
        self.count += 1
        index = self.strings.get(text)
        if index is None:
            index = self.strings[text] = len(self.strings)
        return index

    def close(self) -> None:
        sheets = [s._xml() for s in self.sheets]  # (first: the xfs in order of use)
        parts = [
            ("[Content_Types].xml", self._content_types()),
            ("_rels/.rels", _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
                                    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
                                    f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" '
                                    'Target="docProps/core.xml"/>'
                                    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" '
                                    'Target="docProps/app.xml"/></Relationships>'),
            ("xl/_rels/workbook.xml.rels", self._workbook_rels()),
            *((f"xl/worksheets/sheet{i + 1}.xml", xml) for i, xml in enumerate(sheets)),
            ("xl/workbook.xml", self._workbook()),
            ("xl/sharedStrings.xml", self._shared_strings()),
            ("xl/styles.xml", self._styles()),
            ("xl/theme/theme1.xml", _THEME),
            ("docProps/core.xml", self._core()),
            ("docProps/app.xml", self._app()),
        ]
        with zipfile.ZipFile(self.buf, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=False) as z:
            for name, data in parts:
                info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data if isinstance(data, bytes) else data.encode("utf-8"))

    def _content_types(self) -> str:
        ct = "application/vnd.openxmlformats-officedocument"
        sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
                         f'ContentType="{ct}.spreadsheetml.worksheet+xml"/>' for i in range(len(self.sheets)))
        strings = (f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.spreadsheetml.sharedStrings+xml"/>'
                   if self.strings else "")
        return (_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/docProps/app.xml" ContentType="{ct}.extended-properties+xml"/>'
                '<Override PartName="/docProps/core.xml" '
                'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
                f'<Override PartName="/xl/styles.xml" ContentType="{ct}.spreadsheetml.styles+xml"/>'
                f'<Override PartName="/xl/theme/theme1.xml" ContentType="{ct}.theme+xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.spreadsheetml.sheet.main+xml"/>'
                f"{sheets}{strings}</Types>")

    def _workbook_rels(self) -> str:
        n = len(self.sheets)
        sheets = "".join(f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                         for i in range(n))
        strings = (f'<Relationship Id="rId{n + 3}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
                   if self.strings else "")
        return (f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{sheets}'
                f'<Relationship Id="rId{n + 1}" Type="{_REL}/theme" Target="theme/theme1.xml"/>'
                f'<Relationship Id="rId{n + 2}" Type="{_REL}/styles" Target="styles.xml"/>{strings}</Relationships>')

    def _workbook(self) -> str:
        out = [_HEAD, f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
                      '<fileVersion appName="xl" lastEdited="4" lowestEdited="4" rupBuild="4505"/>'
                      '<workbookPr defaultThemeVersion="124226"/><bookViews>'
                      '<workbookView xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/>'
                      "</bookViews><sheets>"]
        for s in self.sheets:
            out.append(f'<sheet name="{_attr(s.name)}" sheetId="{s.index + 1}" r:id="rId{s.index + 1}"/>')
        out.append("</sheets>")
        names = []
        for s in self.sheets:
            if s.filter is not None:
                if s.name.isascii() or not re.fullmatch(r"\w+", s.name):  # (never quoted in a reference)
                    raise ValueError("xlsxfile: a filtered sheet's name is of non-ASCII letters")
                _r0, _c0, r1, c1 = s.filter
                ref = f"{s.name}!$A$1:${_col_name(c1)}${r1 + 1}"
                names.append(("_filterdatabase::" + ref.lower(), s.index, ref))
        if names:
            out.append("<definedNames>")
            for _key, index, ref in sorted(names, key=lambda n: n[0]):
                out.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
                           f"{_data(ref)}</definedName>")
            out.append("</definedNames>")
        out.append('<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')
        return "".join(out)

    def _shared_strings(self) -> str:
        out = [_HEAD, f'<sst xmlns="{_MAIN}" count="{self.count}" uniqueCount="{len(self.strings)}">']
        for text in self.strings:
            text = _controls(text)
            if text.startswith("<r>") and text.endswith("</r>"):
                out.append(f"<si>{text}</si>")  # (XlsxWriter takes it for a rich string)
                continue
            space = ' xml:space="preserve"' if _LEADING.search(text) or _TRAILING.search(text) else ""
            if _ESCAPE.search(text):
                text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            out.append(f"<si><t{space}>{text}</t></si>")
        out.append("</sst>")
        return "".join(out)

    def _styles(self) -> str:
        fonts: dict[tuple, int] = {("Calibri", 11, False): 0}  # (the default font's)
        fills: dict[str, int] = {}
        nums: dict[str, int] = {}
        xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>']
        for fmt in self.used:
            font = fonts.setdefault(fmt.font, len(fonts))
            fill = 0 if fmt.fill is None else fills.setdefault(fmt.fill, len(fills) + 2)
            num = 0 if fmt.num is None else 1 if fmt.num == "0" else nums.setdefault(fmt.num, len(nums) + 164)
            attrs = f'numFmtId="{num}" fontId="{font}" fillId="{fill}" borderId="{fmt.border}" xfId="0"'
            if num:
                attrs += ' applyNumberFormat="1"'
            if font:
                attrs += ' applyFont="1"'
            if fill:
                attrs += ' applyFill="1"'
            if fmt.border:
                attrs += ' applyBorder="1"'
            align = ""
            if fmt.align:
                align += f' horizontal="{fmt.align}"'
            if fmt.valign:
                align += ' vertical="center"' if fmt.valign == "vcenter" else f' vertical="{fmt.valign}"'
            if fmt.wrap:
                align += ' wrapText="1"'
            xfs.append(f'<xf {attrs} applyAlignment="1"><alignment{align}/></xf>' if align else f"<xf {attrs}/>")
        out = [_HEAD, f'<styleSheet xmlns="{_MAIN}">']
        if nums:
            out.append(f'<numFmts count="{len(nums)}">')
            out += [f'<numFmt numFmtId="{i}" formatCode="{_attr(code)}"/>' for code, i in nums.items()]
            out.append("</numFmts>")
        out.append(f'<fonts count="{len(fonts)}">')
        for i, (name, size, bold) in enumerate(fonts):
            scheme = "" if i else '<scheme val="minor"/>'
            out.append(f'<font>{"<b/>" if bold else ""}<sz val="{size}"/><color theme="1"/>'
                       f'<name val="{_attr(name)}"/><family val="2"/>{scheme}</font>')
        out.append(f'</fonts><fills count="{len(fills) + 2}"><fill><patternFill patternType="none"/></fill>'
                   '<fill><patternFill patternType="gray125"/></fill>')
        for color in fills:
            out.append(f'<fill><patternFill patternType="solid"><fgColor rgb="FF{color}"/>'
                       '<bgColor indexed="64"/></patternFill></fill>')
        borders = max(fmt.border for fmt in self.used) if self.used else 0
        out.append(f'</fills><borders count="{borders + 1}"><border><left/><right/><top/><bottom/><diagonal/></border>')
        if borders:
            out.append('<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
                       '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom>'
                       "<diagonal/></border>")
        out.append('</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
                   f'</cellStyleXfs><cellXfs count="{len(xfs)}">')
        out += xfs
        out.append('</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                   '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
                   'defaultPivotStyle="PivotStyleLight16"/></styleSheet>')
        return "".join(out)

    def _core(self) -> str:
        p = self.properties
        date = p.get("created")
        if not isinstance(date, _dt.datetime):
            raise ValueError("xlsxfile: the workbook's date is given (its bytes depend on it)")
        iso = date.strftime("%Y-%m-%dT%H:%M:%SZ")
        out = [_HEAD, '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                      'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
                      'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">']
        if set(p) - {"title", "subject", "author", "company", "created", "comments"}:
            raise ValueError("xlsxfile: document properties not supported")
        if "title" in p:
            out.append(f"<dc:title>{_data(p['title'])}</dc:title>")
        if "subject" in p:
            out.append(f"<dc:subject>{_data(p['subject'])}</dc:subject>")
        out.append(f"<dc:creator>{_data(p.get('author', ''))}</dc:creator>")
        if "comments" in p:
            out.append(f"<dc:description>{_data(p['comments'])}</dc:description>")
        out.append(f"<cp:lastModifiedBy>{_data(p.get('author', ''))}</cp:lastModifiedBy>"
                   f'<dcterms:created xsi:type="dcterms:W3CDTF">{iso}</dcterms:created>'
                   f'<dcterms:modified xsi:type="dcterms:W3CDTF">{iso}</dcterms:modified></cp:coreProperties>')
        return "".join(out)

    def _app(self) -> str:
        n = len(self.sheets)
        out = [_HEAD, '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
                      'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
                      "<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
                      '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr>'
                      f'</vt:variant><vt:variant><vt:i4>{n}</vt:i4></vt:variant></vt:vector></HeadingPairs>'
                      f'<TitlesOfParts><vt:vector size="{n}" baseType="lpstr">']
        out += [f"<vt:lpstr>{_data(s.name)}</vt:lpstr>" for s in self.sheets]
        out.append(f"</vt:vector></TitlesOfParts><Company>{_data(self.properties.get('company', ''))}</Company>"
                   "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
                   "<HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000</AppVersion></Properties>")
        return "".join(out)
