"""A Python code editor: syntax highlighting, line numbers, and errors marked at their line.

:class:`CodeEditor` is a ``QPlainTextEdit`` with a gutter of line numbers (the line of an error
in red with a marker) and :class:`PythonHighlighter` (keywords, built-ins, strings — triple-quoted
ones across lines —, numbers, comments, decorators; the stdlib's own keyword lists, so no lexer
dependency). :meth:`CodeEditor.mark_error` underlines the line and shows the message as its
tooltip; any edit clears it, since the text it was about has changed.
"""

from __future__ import annotations

import builtins
import keyword
import re

from qtpy.QtCore import QEvent, QRect, QSize, Qt, Signal
from qtpy.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QKeySequence,
    QPainter,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from qtpy.QtWidgets import QPlainTextEdit, QTextEdit, QToolTip, QWidget

ERROR_COLOUR = QColor("#d9534f")
_TRIPLE = {1: '"""', 2: "'''"}  # block state → the quote of the string still open at the block's end


def _format(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


_WORDS = "|".join([*keyword.kwlist, "match", "case"])
_BUILTINS = "|".join(n for n in dir(builtins) if not n.startswith("_"))
STYLES = {"keyword": _format("#0033b3", bold=True), "builtin": _format("#871094"),
          "string": _format("#067d17"), "number": _format("#1750eb"), "comment": _format("#8c8c8c", italic=True),
          "decorator": _format("#9e880d"), "self": _format("#94558d", italic=True),
          "definition": _format("#00627a", bold=True)}
RULES = (
    (re.compile(rf"\b(?:{_WORDS})\b"), "keyword"),
    (re.compile(rf"\b(?:{_BUILTINS})\b"), "builtin"),
    (re.compile(r"\bself\b"), "self"),
    (re.compile(r"(?<=\bdef\s)\w+|(?<=\bclass\s)\w+"), "definition"),
    (re.compile(r"\b(?:0[xob][0-9a-fA-F_]+|\d[\d_]*\.?\d*(?:[eE][+-]?\d+)?j?)\b"), "number"),
    (re.compile(r"^\s*@[\w.]+"), "decorator"),
)
# Strings and comments last: they override whatever matched inside them.
STRING = re.compile(r"""[rRbBuUfF]{0,2}('''|\"\"\"|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")|#.*$""")


class PythonHighlighter(QSyntaxHighlighter):
    """Python colouring, one block (line) at a time; a triple-quoted string carries over lines."""

    def highlightBlock(self, text: str) -> None:
        for pattern, style in RULES:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), STYLES[style])
        self.setCurrentBlockState(0)
        start = 0
        open_quote = _TRIPLE.get(self.previousBlockState())
        if open_quote is not None:  # inside a docstring begun on an earlier line
            end = text.find(open_quote)
            if end < 0:
                self.setFormat(0, len(text), STYLES["string"])
                self.setCurrentBlockState(self.previousBlockState())
                return
            self.setFormat(0, end + 3, STYLES["string"])
            start = end + 3
        while (match := STRING.search(text, start)) is not None:
            token = match.group(0)
            if token.startswith("#"):
                self.setFormat(match.start(), len(token), STYLES["comment"])
                return
            quote = match.group(1)
            if quote in ('"""', "'''"):
                end = text.find(quote, match.end())
                if end < 0:
                    self.setFormat(match.start(), len(text) - match.start(), STYLES["string"])
                    self.setCurrentBlockState(1 if quote == '"""' else 2)
                    return
                self.setFormat(match.start(), end + 3 - match.start(), STYLES["string"])
                start = end + 3
                continue
            self.setFormat(match.start(), len(token), STYLES["string"])
            start = match.end()


class _Gutter(QWidget):
    """The line numbers beside the text; an error's line in red with a marker."""

    def __init__(self, editor: CodeEditor):
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event) -> None:
        self.editor.paint_gutter(event)

    def event(self, event) -> bool:
        # The error's marker explains itself on hover.
        if event.type() == event.Type.ToolTip and self.editor.error_line is not None:
            QToolTip.showText(event.globalPos(), self.editor.error_message, self)
            return True
        return super().event(event)


class CodeEditor(QPlainTextEdit):
    """Plain-text Python editing with line numbers, highlighting and one marked error.

    The Save key (Ctrl+S) saves this file while the editor has the focus (``save_requested``);
    elsewhere it stays the window's File → Save.
    """

    save_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 4)
        self.highlighter = PythonHighlighter(self.document())
        self.error_line: int | None = None
        self.error_message = ""
        self._gutter = _Gutter(self)
        self.blockCountChanged.connect(lambda _count: self._update_margin())
        self.updateRequest.connect(self._scroll_gutter)
        self.textChanged.connect(self._text_changed)
        self._update_margin()

    # -- errors ------------------------------------------------------------------------------------
    def mark_error(self, line: int | None, message: str) -> None:
        """Mark ``line`` (1-based; None: no line known) as the place of ``message``."""
        self.error_line, self.error_message = line, message
        selections = []
        if line is not None and 1 <= line <= self.blockCount():
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(QColor(217, 83, 79, 40))
            selection.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            selection.format.setUnderlineColor(ERROR_COLOUR)
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            selection.format.setToolTip(message)
            selection.cursor = QTextCursor(self.document().findBlockByNumber(line - 1))
            selections.append(selection)
        self.setExtraSelections(selections)
        self._gutter.update()

    def clear_error(self) -> None:
        if self.error_line is not None or self.error_message:
            self.mark_error(None, "")

    def go_to_line(self, line: int) -> None:
        cursor = QTextCursor(self.document().findBlockByNumber(max(line - 1, 0)))
        self.setTextCursor(cursor)
        self.centerCursor()

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and event.matches(QKeySequence.StandardKey.Save):
            event.accept()  # the key comes here as a key press, not to the window's Save
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.StandardKey.Save):
            self.save_requested.emit()
            return
        super().keyPressEvent(event)

    def _text_changed(self) -> None:
        if self.document().isModified():
            self.clear_error()  # the marked text is no longer what the error was about

    # -- the gutter ----------------------------------------------------------------------------------
    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 14 + self.fontMetrics().horizontalAdvance("9") * max(digits, 3)

    def _update_margin(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        area = self.contentsRect()
        self._gutter.setGeometry(QRect(area.left(), area.top(), self.gutter_width(), area.height()))

    def paint_gutter(self, event) -> None:
        painter = QPainter(self._gutter)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.alternateBase())
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                number = block.blockNumber() + 1
                if number == self.error_line:
                    painter.setBrush(ERROR_COLOUR)
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.drawEllipse(3, top + height // 2 - 3, 6, 6)
                    painter.setPen(ERROR_COLOUR)
                else:
                    painter.setPen(palette.placeholderText().color())
                painter.drawText(0, top, self._gutter.width() - 4, height, Qt.AlignmentFlag.AlignRight, str(number))
            block, top = block.next(), bottom
        painter.end()

