namespace Spamp.Data;

/// <summary>A sentence, its whitespace tokens and its class label (one line of a GLUE TSV file).</summary>
/// <param name="Text">The sentence with surrounding white space trimmed.</param>
/// <param name="Tokens">The whitespace-separated tokens of <paramref name="Text"/>.</param>
/// <param name="Label">The class label.</param>
public sealed record LabelledSentence(string Text, IReadOnlyList<string> Tokens, int Label);
