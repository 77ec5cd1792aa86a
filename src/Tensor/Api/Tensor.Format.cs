using System.Globalization;
using System.Text;

namespace Spamp;

public sealed partial class Tensor
{
    private const int SummaryThreshold = 1000;
    private const int EdgeItems = 3;

    /// <summary>
    /// PyTorch-style text: nested brackets with aligned columns, "..." in the middle of long
    /// dimensions when there are more than 1000 elements, then shape, dtype and device. Reads the
    /// data (a synchronisation on a GPU).
    /// </summary>
    public override string ToString()
    {
        if (IsDisposed)
        {
            return "tensor(<disposed>)";
        }

        double[] values = ToDoubleArray();
        bool summarize = Numel > SummaryThreshold;
        bool integral = !DType.IsFloatingPoint();
        bool allWhole = values.All(v => double.IsNaN(v) || double.IsInfinity(v) || v == Math.Floor(v));
        double maxAbs = values.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        bool scientific = !integral && (maxAbs >= 1e8 || (maxAbs > 0 && maxAbs < 1e-4));

        string Format(double v)
        {
            if (DType == DType.Bool)
            {
                return v != 0 ? "True" : "False";
            }

            if (double.IsNaN(v))
            {
                return "nan";
            }

            if (double.IsInfinity(v))
            {
                return v > 0 ? "inf" : "-inf";
            }

            if (integral)
            {
                return ((long)v).ToString(CultureInfo.InvariantCulture);
            }

            if (scientific)
            {
                return v.ToString("0.0000e+00", CultureInfo.InvariantCulture);
            }

            return allWhole ? v.ToString("0.", CultureInfo.InvariantCulture) : v.ToString("0.0000", CultureInfo.InvariantCulture);
        }

        int width = values.Length == 0 ? 0 : values.Max(v => Format(v).Length);
        var sb = new StringBuilder("tensor(");
        if (Rank == 0)
        {
            sb.Append(values.Length > 0 ? Format(values[0]) : "");
        }
        else
        {
            Append(sb, 0, 0, "tensor(".Length);
        }

        sb.Append(", shape=").Append(Shape).Append(", dtype=").Append(DType.Name());
        if (Device != Device.Cpu)
        {
            sb.Append(", device=").Append(Device);
        }

        return sb.Append(')').ToString();

        void Append(StringBuilder text, int dim, int offset, int indent)
        {
            int size = Shape[dim];
            int stride = Shape.ContiguousStrides()[dim];
            text.Append('[');
            for (int i = 0; i < size; i++)
            {
                if (summarize && size > 2 * EdgeItems && i == EdgeItems)
                {
                    text.Append(dim == Rank - 1 ? "..., " : "...,\n" + new string(' ', indent + 1));
                    i = size - EdgeItems;
                }

                if (dim == Rank - 1)
                {
                    text.Append(Format(values[offset + i]).PadLeft(width));
                }
                else
                {
                    Append(text, dim + 1, offset + (i * stride), indent + 1);
                }

                if (i < size - 1)
                {
                    text.Append(dim == Rank - 1 ? ", " : "," + new string('\n', Rank - 1 - dim) + new string(' ', indent + 1));
                }
            }

            text.Append(']');
        }
    }
}
