using System.Text;

namespace Spamp.Examples.Reproduction;

/// <summary>Which way a Markdown column's cells are aligned.</summary>
public enum ColumnAlignment
{
    /// <summary>Left (text).</summary>
    Left,

    /// <summary>Right (numbers).</summary>
    Right,
}

/// <summary>
/// A GitHub-flavoured Markdown table: a header row, an alignment row and one row per <see cref="AddRow"/>.
/// Cells are escaped (a <c>|</c> would end the cell, a line break the row), and columns are padded to a
/// common width so the source reads as a table too.
/// </summary>
public sealed class MarkdownTable
{
    private readonly string[] _headers;
    private readonly ColumnAlignment[] _alignments;
    private readonly List<string[]> _rows = [];

    /// <summary>A table with these column headers; the first column is left-aligned, the others right-aligned (numbers).</summary>
    public MarkdownTable(params string[] headers)
        : this(headers, [.. headers.Select((_, i) => i == 0 ? ColumnAlignment.Left : ColumnAlignment.Right)])
    {
    }

    /// <summary>A table with these column headers and alignments.</summary>
    public MarkdownTable(IReadOnlyList<string> headers, IReadOnlyList<ColumnAlignment> alignments)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(alignments);
        if (headers.Count == 0 || alignments.Count != headers.Count)
        {
            throw new ArgumentException($"markdown table: {headers.Count} headers need as many alignments (got {alignments.Count})", nameof(alignments));
        }

        _headers = [.. headers.Select(Escape)];
        _alignments = [.. alignments];
    }

    /// <summary>The number of data rows.</summary>
    public int RowCount => _rows.Count;

    /// <summary>Appends a row with one cell per column.</summary>
    public MarkdownTable AddRow(params string[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"markdown table: a row needs {_headers.Length} cells, got {cells.Length}", nameof(cells));
        }

        _rows.Add([.. cells.Select(Escape)]);
        return this;
    }

    /// <summary>The table as Markdown lines, each ending in a newline.</summary>
    public override string ToString()
    {
        int[] width = new int[_headers.Length];
        for (int c = 0; c < width.Length; c++)
        {
            width[c] = Math.Max(3, _rows.Select(r => r[c].Length).Append(_headers[c].Length).Max());
        }

        var text = new StringBuilder();
        AppendRow(text, _headers, width);
        text.Append('|');
        for (int c = 0; c < width.Length; c++)
        {
            text.Append(' ').Append(_alignments[c] == ColumnAlignment.Right ? new string('-', width[c] - 1) + ":" : new string('-', width[c])).Append(" |");
        }

        text.Append('\n');
        foreach (string[] row in _rows)
        {
            AppendRow(text, row, width);
        }

        return text.ToString();
    }

    private void AppendRow(StringBuilder text, string[] cells, int[] width)
    {
        text.Append('|');
        for (int c = 0; c < cells.Length; c++)
        {
            string cell = _alignments[c] == ColumnAlignment.Right ? cells[c].PadLeft(width[c]) : cells[c].PadRight(width[c]);
            text.Append(' ').Append(cell).Append(" |");
        }

        text.Append('\n');
    }

    private static string Escape(string cell) =>
        (cell ?? "").Replace("\\", "\\\\", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal)
            .Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' ');
}
