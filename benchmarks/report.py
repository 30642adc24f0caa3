"""Plain-text reports shared by the benchmarks."""

from __future__ import annotations


def markdown_table(rows: list[list[str]]) -> str:
    """First row is the header; the first column is left-aligned, the others right-aligned."""
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    lines = []
    for j, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("| " + " | ".join(cells) + " |")
        if j == 0:  # a Markdown table, ready to paste into models/README.md
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
