namespace Spamp.Examples.Reproduction;

/// <summary>One part of summary.md: a heading, what was measured and how, the tables, and the plain-words verdicts.</summary>
/// <param name="Title">The heading.</param>
/// <param name="Intro">What the table shows and under which settings.</param>
/// <param name="Tables">The tables, each with a caption line above it (may be empty).</param>
/// <param name="Verdicts">One sentence per comparison: where SPAMP won, tied or lost.</param>
public sealed record ReportSection(string Title, string Intro, IReadOnlyList<(string Caption, MarkdownTable Table)> Tables, IReadOnlyList<string> Verdicts);
