using System.Collections;
using System.Runtime.CompilerServices;
using System.Text;

namespace Spamp;

/// <summary>
/// The sizes of a tensor's dimensions, outermost first. Immutable. A rank-0 shape (<c>[]</c>) is a
/// scalar with one element. Sizes are <see cref="int"/>: a tensor holds at most 2^31-1 elements, the
/// limit of a <see cref="Span{T}"/>.
/// </summary>
[CollectionBuilder(typeof(Shape), nameof(Create))]
public sealed class Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[] _dims;

    /// <summary>The rank-0 (scalar) shape.</summary>
    public static readonly Shape Scalar = new([]);

    /// <summary>Creates a shape; every size must be non-negative and the element count must fit in an int.</summary>
    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        long numel = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0)
            {
                throw new ArgumentException($"shape {Format(dims)}: size {dims[i]} of dim {i} is negative", nameof(dims));
            }

            numel *= dims[i];
            if (numel > int.MaxValue)
            {
                throw new ArgumentException($"shape {Format(dims)} has more than 2^31-1 elements", nameof(dims));
            }
        }

        _dims = (int[])dims.Clone();
        Numel = (int)numel;
    }

    /// <summary>Creates a shape from sizes, so that <c>[32, 64]</c> can be written wherever a shape is expected.</summary>
    public static Shape Create(ReadOnlySpan<int> dims) => new(dims.ToArray());

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims.Length;

    /// <summary>Number of elements: the product of the sizes (1 for a scalar).</summary>
    public int Numel { get; }

    /// <summary>Size of dimension <paramref name="dim"/>; negative values count from the end.</summary>
    public int this[int dim] => _dims[dim < 0 ? dim + _dims.Length : dim];

    /// <inheritdoc/>
    public int Count => _dims.Length;

    /// <summary>A copy of the sizes.</summary>
    public int[] ToArray() => (int[])_dims.Clone();

    /// <summary>The sizes without copying.</summary>
    public ReadOnlySpan<int> AsSpan() => _dims;

    /// <summary>Implicit conversion from a size array.</summary>
    public static implicit operator Shape(int[] dims) => new(dims);

    /// <summary>Row-major (C order) strides, in elements, for this shape.</summary>
    public int[] ContiguousStrides()
    {
        var strides = new int[_dims.Length];
        int stride = 1;
        for (int i = _dims.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(_dims[i], 1);
        }

        return strides;
    }

    /// <summary>
    /// The NumPy broadcast of two shapes: align from the right; each pair of sizes must be equal or
    /// one of them 1. Returns null when they do not broadcast.
    /// </summary>
    public static Shape? TryBroadcast(Shape a, Shape b)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Rank ? 1 : a._dims[i - (rank - a.Rank)];
            int db = i < rank - b.Rank ? 1 : b._dims[i - (rank - b.Rank)];
            if (da != db && da != 1 && db != 1)
            {
                return null;
            }

            dims[i] = da == 1 ? db : da;
        }

        return new Shape(dims);
    }

    /// <summary>Normalises a possibly negative dimension index, or throws naming the op and shape.</summary>
    public int NormalizeDim(int dim, string op, string argument = "dim")
    {
        int rank = Math.Max(Rank, 1);
        if (dim < -rank || dim >= rank)
        {
            throw new ArgumentOutOfRangeException(argument, dim,
                $"{op}: {argument} {dim} is out of range for a tensor of shape {this} (rank {Rank}); expected [{-rank}, {rank - 1}]");
        }

        return dim < 0 ? dim + rank : dim;
    }

    /// <inheritdoc/>
    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (int d in _dims)
        {
            hash.Add(d);
        }

        return hash.ToHashCode();
    }

    /// <summary>Value equality.</summary>
    public static bool operator ==(Shape? left, Shape? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Shape? left, Shape? right) => !(left == right);

    /// <summary>Formats as <c>[32,64]</c>, the form used in every error message.</summary>
    public override string ToString() => Format(_dims);

    internal static string Format(ReadOnlySpan<int> dims)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < dims.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            sb.Append(dims[i]);
        }

        return sb.Append(']').ToString();
    }

    /// <inheritdoc/>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)_dims).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _dims.GetEnumerator();
}
