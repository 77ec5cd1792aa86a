using Spamp.Memory;

namespace Spamp.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc/>
    /// <remarks>The stream's span fillers are the reference implementation and already run on several cores.</remarks>
    public override void FillRandom(RandomKind kind, Storage dst, int count, ulong seed, ulong offset, double a, double b)
    {
        switch (dst.DType)
        {
            case DType.Float32:
                var f = new Span<float>(Ptr<float>(dst), count);
                switch (kind)
                {
                    case RandomKind.Uniform: PhiloxStream.FillUniform(seed, offset, f, (float)a, (float)b); break;
                    case RandomKind.Normal: PhiloxStream.FillNormal(seed, offset, f, (float)a, (float)b); break;
                    case RandomKind.Bernoulli: PhiloxStream.FillBernoulli(seed, offset, f, a); break;
                    default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown distribution");
                }

                break;
            case DType.Float64:
                var d = new Span<double>(Ptr<double>(dst), count);
                switch (kind)
                {
                    case RandomKind.Uniform: PhiloxStream.FillUniform(seed, offset, d, a, b); break;
                    case RandomKind.Normal: PhiloxStream.FillNormal(seed, offset, d, a, b); break;
                    case RandomKind.Bernoulli: PhiloxStream.FillBernoulli(seed, offset, d, a); break;
                    default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown distribution");
                }

                break;
            case DType.Bool when kind == RandomKind.Bernoulli:
                PhiloxStream.FillBernoulli(seed, offset, new Span<bool>(Ptr<bool>(dst), count), a);
                break;
            default:
                throw Unsupported($"random {kind}", dst.DType);
        }
    }
}
