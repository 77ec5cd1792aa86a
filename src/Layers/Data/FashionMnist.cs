namespace Spamp.Data;

/// <summary>Which split of Fashion-MNIST to read.</summary>
public enum FashionMnistSplit
{
    /// <summary>The 60,000 training images (<c>train-*</c>), from the Debian package only.</summary>
    Train,

    /// <summary>The 10,000 test images (<c>t10k-*</c>).</summary>
    Test,
}

/// <summary>
/// Fashion-MNIST (Zalando, MIT licence): 28x28 grey-scale images of 10 clothing classes, in IDX
/// files. The full set comes with the Debian package <c>dataset-fashion-mnist</c>
/// (<c>apt-get install -y dataset-fashion-mnist</c>, installed in <see cref="SystemDirectory"/>);
/// the repository carries only the test split, in <c>examples/data/fashion-mnist</c>.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where the Debian package installs the files; looked at first.</summary>
    public const string SystemDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Examples per class in the test split (the classes are exactly balanced).</summary>
    public const int TestCountPerClass = 1000;

    /// <summary>The class names, by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// The directory holding both files of <paramref name="split"/> (gzipped or not):
    /// <see cref="SystemDirectory"/> when the Debian package is installed, else
    /// <paramref name="directory"/>; null when neither has them.
    /// </summary>
    public static string? FindDirectory(string? directory, FashionMnistSplit split)
    {
        if (TryFiles(SystemDirectory, split, out _, out _))
        {
            return SystemDirectory;
        }

        return directory is not null && TryFiles(directory, split, out _, out _) ? directory : null;
    }

    /// <summary>True when the 60,000-image training split can be found (see <see cref="FindDirectory"/>).</summary>
    public static bool HasTrainingSplit(string? directory = null) => FindDirectory(directory, FashionMnistSplit.Train) is not null;

    /// <summary>
    /// One split exactly as published: Inputs Float32 [N,1,28,28] (pixels <c>(p/255 - mean)/std</c>),
    /// Targets Int64 [N]. Looks in <see cref="SystemDirectory"/> first, then in
    /// <paramref name="directory"/> (e.g. <c>examples/data/fashion-mnist</c>, which has only the test split).
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither place has the split; the message says how to install it.</exception>
    /// <exception cref="DataFormatException">A file is corrupt.</exception>
    public static TensorDataset Load(string? directory, FashionMnistSplit split, float mean = 0f, float std = 1f)
    {
        string found = FindDirectory(directory, split) ?? throw new FileNotFoundException(
            $"Fashion-MNIST {split.ToString().ToLowerInvariant()} split: no {Prefix(split)}-images-idx3-ubyte[.gz] with its labels file in {SystemDirectory}" +
            (directory is null ? "" : $" or {directory}") + "; install it with: apt-get install -y dataset-fashion-mnist");
        TryFiles(found, split, out string images, out string labels);
        return IdxReader.ReadDataset(images, labels, ClassNames.Count, mean, std);
    }

    /// <summary>
    /// A training set and a test set for experiments, whatever is installed:
    /// <list type="bullet">
    /// <item>with the Debian package: the official 60,000 training and 10,000 test images;</item>
    /// <item>with only the test split (a fresh machine with the repository's copy): the 10,000 test
    /// images shuffled by <paramref name="seed"/> (<see cref="RandomPermutation"/>, stream
    /// <see cref="RandomPermutation.SplitStream"/>, so the same on every machine) and cut into the first
    /// <paramref name="trainCountFromTest"/> (default 8,000) for training and the rest (2,000) for
    /// evaluation. Results on this split are not comparable with published Fashion-MNIST accuracies.</item>
    /// </list>
    /// <see cref="TrainTestSplit.Description"/> says which happened; report it with results.
    /// </summary>
    public static TrainTestSplit LoadTrainTest(string? directory, ulong seed = 0, int trainCountFromTest = 8000, float mean = 0f, float std = 1f)
    {
        TensorDataset test = Load(directory, FashionMnistSplit.Test, mean, std);
        if (HasTrainingSplit(directory))
        {
            try
            {
                TensorDataset train = Load(directory, FashionMnistSplit.Train, mean, std);
                return new TrainTestSplit(train, test,
                    $"Fashion-MNIST official split: {train.Count} training images, {test.Count} test images", isOfficialSplit: true);
            }
            catch
            {
                test.Dispose();
                throw;
            }
        }

        using (test)
        {
            if (trainCountFromTest < 1 || trainCountFromTest >= test.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(trainCountFromTest), trainCountFromTest, $"must leave at least one of the {test.Count} test images on each side");
            }

            long[] order = RandomPermutation.Create(test.Count, seed, RandomPermutation.SplitStream);
            TensorDataset train = test.Select(order.AsSpan(0, trainCountFromTest));
            try
            {
                TensorDataset heldOut = test.Select(order.AsSpan(trainCountFromTest));
                return new TrainTestSplit(train, heldOut,
                    $"Fashion-MNIST t10k only (training split not installed): {test.Count} test images split by seed {seed} into {train.Count} for training and {heldOut.Count} for evaluation",
                    isOfficialSplit: false);
            }
            catch
            {
                train.Dispose();
                throw;
            }
        }
    }

    private static string Prefix(FashionMnistSplit split) => split == FashionMnistSplit.Train ? "train" : "t10k";

    private static bool TryFiles(string directory, FashionMnistSplit split, out string images, out string labels)
    {
        string prefix = Prefix(split);
        images = labels = "";
        foreach (string suffix in (string[])[".gz", ""])
        {
            string i = Path.Combine(directory, $"{prefix}-images-idx3-ubyte{suffix}");
            string l = Path.Combine(directory, $"{prefix}-labels-idx1-ubyte{suffix}");
            if (File.Exists(i) && File.Exists(l))
            {
                images = i;
                labels = l;
                return true;
            }
        }

        return false;
    }
}
