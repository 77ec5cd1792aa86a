namespace Spamp.Data;

/// <summary>A training set and an evaluation set, with a sentence saying where they came from.</summary>
public sealed class TrainTestSplit : IDisposable
{
    internal TrainTestSplit(TensorDataset train, TensorDataset test, string description, bool isOfficialSplit)
    {
        Train = train;
        Test = test;
        Description = description;
        IsOfficialSplit = isOfficialSplit;
    }

    /// <summary>The training examples.</summary>
    public TensorDataset Train { get; }

    /// <summary>The evaluation examples.</summary>
    public TensorDataset Test { get; }

    /// <summary>Which files and which split rule produced the two sets (print it with results).</summary>
    public string Description { get; }

    /// <summary>True for the data set's published split; false for a split made here from part of it.</summary>
    public bool IsOfficialSplit { get; }

    /// <summary>Disposes both data sets.</summary>
    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
