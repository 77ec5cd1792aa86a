using Spamp.Examples.Reproduction;

namespace Spamp.Tests.Examples;

[TestFixture]
public class MarkdownTableTests
{
    [Test]
    public void WritesHeaderAlignmentAndPaddedRows()
    {
        string text = new MarkdownTable("method", "accuracy").AddRow("spamp", "90.3").AddRow("clip", "88.3").ToString();
        Assert.That(text, Is.EqualTo(
            "| method | accuracy |\n" +
            "| ------ | -------: |\n" +
            "| spamp  |     90.3 |\n" +
            "| clip   |     88.3 |\n"));
    }

    [Test]
    public void EscapesPipesAndLineBreaks()
    {
        string text = new MarkdownTable("a|b", "c").AddRow("x\ny", "‖g‖ | 1").ToString();
        string[] lines = text.TrimEnd('\n').Split('\n');
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Length.EqualTo(3), "a line break inside a cell does not end the row");
            Assert.That(lines[0], Does.StartWith("| a\\|b |"));
            Assert.That(lines[2], Does.Contain("x y").And.Contain("‖g‖ \\| 1"));
        });
    }

    [Test]
    public void RowsMustHaveOneCellPerColumn()
    {
        var table = new MarkdownTable("a", "b");
        Assert.Throws<ArgumentException>(() => table.AddRow("only one"));
        Assert.That(table.RowCount, Is.Zero);
    }
}
