namespace Spamp.Examples.Reproduction;

/// <summary>How SPAMP fared against one other method on one measure.</summary>
public enum Outcome
{
    /// <summary>SPAMP's mean is better by more than the tie margin.</summary>
    Won,

    /// <summary>The means are within the tie margin.</summary>
    Tied,

    /// <summary>SPAMP's mean is worse by more than the tie margin.</summary>
    Lost,
}

/// <summary>
/// The rule the report uses to call a comparison: two results (mean and sample std over seeds) tie when
/// their means differ by no more than the larger of the two standard deviations; otherwise the better
/// mean wins. With one seed there is no spread, so only equal means tie. This is a reading aid, not a
/// significance test: three seeds cannot support one.
/// </summary>
public static class Verdict
{
    /// <summary>The rule in one sentence, for the report.</summary>
    public const string Rule =
        "SPAMP *won* when its mean is better than the other method's by more than the larger of the two standard deviations over seeds, " +
        "*tied* when the means are within that margin, *lost* otherwise (with one seed only equal means tie). Not a significance test.";

    /// <summary>SPAMP's outcome against <paramref name="other"/> when larger values are better or (<paramref name="higherIsBetter"/> false) smaller ones.</summary>
    public static Outcome Compare(MeanStd spamp, MeanStd other, bool higherIsBetter)
    {
        if (double.IsNaN(spamp.Mean) && double.IsNaN(other.Mean))
        {
            return Outcome.Tied;
        }

        // A run that produced no number (diverged) loses to any that did.
        if (double.IsNaN(spamp.Mean))
        {
            return Outcome.Lost;
        }

        if (double.IsNaN(other.Mean))
        {
            return Outcome.Won;
        }

        double margin = Math.Max(Spread(spamp), Spread(other));
        double advantage = higherIsBetter ? spamp.Mean - other.Mean : other.Mean - spamp.Mean;
        return Math.Abs(advantage) <= margin ? Outcome.Tied : advantage > 0 ? Outcome.Won : Outcome.Lost;
    }

    /// <summary>The word the report prints: "won", "tied" or "lost".</summary>
    public static string Word(Outcome outcome) => outcome switch
    {
        Outcome.Won => "won",
        Outcome.Tied => "tied",
        _ => "lost",
    };

    private static double Spread(MeanStd value) => double.IsFinite(value.Std) ? value.Std : 0;
}
