using System.Numerics;
using Spamp.Memory;

namespace Spamp.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc/>
    public override void Cast(Storage src, Layout srcLayout, Storage dst)
    {
        DType from = src.DType, to = dst.DType;
        if (from == to)
        {
            Copy(src, srcLayout, dst, Dense(srcLayout.Shape));
            return;
        }

        if (srcLayout.Numel == 0)
        {
            return;
        }

        var loop = StridedLoop.Create(srcLayout.Shape, srcLayout, Dense(srcLayout.Shape));
        switch (from, to)
        {
            case (DType.BFloat16, DType.Bool):
                loop.Run(new CastSegments<BFloat16, bool, BFloat16ToBoolConverter>(Ptr<BFloat16>(src), Ptr<bool>(dst)));
                break;
            case (DType.Bool, DType.BFloat16):
                loop.Run(new CastSegments<bool, BFloat16, BoolToBFloat16Converter>(Ptr<bool>(src), Ptr<BFloat16>(dst)));
                break;
            case (DType.BFloat16, _):
                CastFromBFloat16(loop, src, dst);
                break;
            case (_, DType.BFloat16):
                CastToBFloat16(loop, src, dst);
                break;
            case (DType.Bool, _):
                CastFromBool(loop, src, dst);
                break;
            case (_, DType.Bool):
                CastToBool(loop, src, dst);
                break;
            default:
                switch (from)
                {
                    case DType.Float32: CastNumeric<float>(loop, src, dst); break;
                    case DType.Float64: CastNumeric<double>(loop, src, dst); break;
                    case DType.Float16: CastNumeric<Half>(loop, src, dst); break;
                    case DType.Int32: CastNumeric<int>(loop, src, dst); break;
                    case DType.Int64: CastNumeric<long>(loop, src, dst); break;
                    default: throw Unsupported("cast", from);
                }

                break;
        }
    }

    private static void CastNumeric<TFrom>(StridedLoop loop, Storage src, Storage dst) where TFrom : unmanaged, INumberBase<TFrom>
    {
        TFrom* s = Ptr<TFrom>(src);
        switch (dst.DType)
        {
            case DType.Float32: loop.Run(new CastSegments<TFrom, float, NumericConverter<TFrom, float>>(s, Ptr<float>(dst))); break;
            case DType.Float64: loop.Run(new CastSegments<TFrom, double, NumericConverter<TFrom, double>>(s, Ptr<double>(dst))); break;
            case DType.Float16: loop.Run(new CastSegments<TFrom, Half, NumericConverter<TFrom, Half>>(s, Ptr<Half>(dst))); break;
            case DType.Int32: loop.Run(new CastSegments<TFrom, int, NumericConverter<TFrom, int>>(s, Ptr<int>(dst))); break;
            case DType.Int64: loop.Run(new CastSegments<TFrom, long, NumericConverter<TFrom, long>>(s, Ptr<long>(dst))); break;
            default: throw Unsupported("cast", dst.DType);
        }
    }

    private static void CastFromBFloat16(StridedLoop loop, Storage src, Storage dst)
    {
        BFloat16* s = Ptr<BFloat16>(src);
        switch (dst.DType)
        {
            case DType.Float32: loop.Run(new CastSegments<BFloat16, float, FromBFloat16Converter<float>>(s, Ptr<float>(dst))); break;
            case DType.Float64: loop.Run(new CastSegments<BFloat16, double, FromBFloat16Converter<double>>(s, Ptr<double>(dst))); break;
            case DType.Float16: loop.Run(new CastSegments<BFloat16, Half, FromBFloat16Converter<Half>>(s, Ptr<Half>(dst))); break;
            case DType.Int32: loop.Run(new CastSegments<BFloat16, int, FromBFloat16Converter<int>>(s, Ptr<int>(dst))); break;
            case DType.Int64: loop.Run(new CastSegments<BFloat16, long, FromBFloat16Converter<long>>(s, Ptr<long>(dst))); break;
            default: throw Unsupported("cast", dst.DType);
        }
    }

    private static void CastToBFloat16(StridedLoop loop, Storage src, Storage dst)
    {
        BFloat16* d = Ptr<BFloat16>(dst);
        switch (src.DType)
        {
            case DType.Float32: loop.Run(new CastSegments<float, BFloat16, ToBFloat16Converter<float>>(Ptr<float>(src), d)); break;
            case DType.Float64: loop.Run(new CastSegments<double, BFloat16, ToBFloat16Converter<double>>(Ptr<double>(src), d)); break;
            case DType.Float16: loop.Run(new CastSegments<Half, BFloat16, ToBFloat16Converter<Half>>(Ptr<Half>(src), d)); break;
            case DType.Int32: loop.Run(new CastSegments<int, BFloat16, ToBFloat16Converter<int>>(Ptr<int>(src), d)); break;
            case DType.Int64: loop.Run(new CastSegments<long, BFloat16, ToBFloat16Converter<long>>(Ptr<long>(src), d)); break;
            default: throw Unsupported("cast", src.DType);
        }
    }

    private static void CastFromBool(StridedLoop loop, Storage src, Storage dst)
    {
        bool* s = Ptr<bool>(src);
        switch (dst.DType)
        {
            case DType.Float32: loop.Run(new CastSegments<bool, float, FromBoolConverter<float>>(s, Ptr<float>(dst))); break;
            case DType.Float64: loop.Run(new CastSegments<bool, double, FromBoolConverter<double>>(s, Ptr<double>(dst))); break;
            case DType.Float16: loop.Run(new CastSegments<bool, Half, FromBoolConverter<Half>>(s, Ptr<Half>(dst))); break;
            case DType.Int32: loop.Run(new CastSegments<bool, int, FromBoolConverter<int>>(s, Ptr<int>(dst))); break;
            case DType.Int64: loop.Run(new CastSegments<bool, long, FromBoolConverter<long>>(s, Ptr<long>(dst))); break;
            default: throw Unsupported("cast", dst.DType);
        }
    }

    private static void CastToBool(StridedLoop loop, Storage src, Storage dst)
    {
        bool* d = Ptr<bool>(dst);
        switch (src.DType)
        {
            case DType.Float32: loop.Run(new CastSegments<float, bool, ToBoolConverter<float>>(Ptr<float>(src), d)); break;
            case DType.Float64: loop.Run(new CastSegments<double, bool, ToBoolConverter<double>>(Ptr<double>(src), d)); break;
            case DType.Float16: loop.Run(new CastSegments<Half, bool, ToBoolConverter<Half>>(Ptr<Half>(src), d)); break;
            case DType.Int32: loop.Run(new CastSegments<int, bool, ToBoolConverter<int>>(Ptr<int>(src), d)); break;
            case DType.Int64: loop.Run(new CastSegments<long, bool, ToBoolConverter<long>>(Ptr<long>(src), d)); break;
            default: throw Unsupported("cast", src.DType);
        }
    }
}
