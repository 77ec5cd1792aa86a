namespace Spamp.Optim;

/// <summary>The hyperparameter checks the rules share, with PyTorch-style messages that name the value.</summary>
internal static class RuleValidation
{
    /// <summary>A decay factor in [0, 1).</summary>
    public static void Beta(string optimizer, double beta, int index, string parameterName)
    {
        if (!(beta >= 0 && beta < 1))
        {
            throw new ArgumentOutOfRangeException(parameterName, beta, $"{optimizer}: invalid beta parameter at index {index}: {beta} (expected 0 <= beta < 1)");
        }
    }

    /// <summary>An epsilon &gt;= 0.</summary>
    public static void Epsilon(string optimizer, double eps, string parameterName)
    {
        if (!(eps >= 0))
        {
            throw new ArgumentOutOfRangeException(parameterName, eps, $"{optimizer}: invalid epsilon value: {eps} (expected eps >= 0)");
        }
    }

    /// <summary>A value &gt;= 0 (momentum, dampening, weight decay).</summary>
    public static void NonNegative(string optimizer, string what, double value, string parameterName)
    {
        if (!(value >= 0))
        {
            throw new ArgumentOutOfRangeException(parameterName, value, $"{optimizer}: invalid {what} value: {value} (expected >= 0)");
        }
    }
}
