using System.Numerics;

namespace Spamp.Backends.Cpu;

/// <summary>A comparison of two values producing a Bool.</summary>
internal interface ICompareKernel<T>
{
    static abstract bool Apply(T a, T b);
}

internal readonly struct EqKernel<T> : ICompareKernel<T> where T : INumber<T>
{
    public static bool Apply(T a, T b) => a == b;
}

internal readonly struct NeKernel<T> : ICompareKernel<T> where T : INumber<T>
{
    public static bool Apply(T a, T b) => a != b;
}

internal readonly struct LtKernel<T> : ICompareKernel<T> where T : INumber<T>
{
    public static bool Apply(T a, T b) => a < b;
}

internal readonly struct LeKernel<T> : ICompareKernel<T> where T : INumber<T>
{
    public static bool Apply(T a, T b) => a <= b;
}

internal readonly struct GtKernel<T> : ICompareKernel<T> where T : INumber<T>
{
    public static bool Apply(T a, T b) => a > b;
}

internal readonly struct GeKernel<T> : ICompareKernel<T> where T : INumber<T>
{
    public static bool Apply(T a, T b) => a >= b;
}

/// <summary>Operands 0 and 1 are the inputs, 2 the contiguous Bool output.</summary>
internal readonly unsafe struct CompareSegments<T, TOp>(T* a, T* b, bool* d) : ISegmentKernel
    where T : unmanaged
    where TOp : ICompareKernel<T>
{
    public void Run(in Segment s)
    {
        T* x = a + s.O0, y = b + s.O1;
        bool* r = d + s.O2;
        if (s.S0 == 1 && s.S1 == 1)
        {
            for (int i = 0; i < s.Length; i++)
            {
                r[i] = TOp.Apply(x[i], y[i]);
            }
        }
        else if (s.S1 == 0)
        {
            T scalar = *y;
            for (int i = 0; i < s.Length; i++)
            {
                r[i] = TOp.Apply(x[(long)i * s.S0], scalar);
            }
        }
        else
        {
            for (int i = 0; i < s.Length; i++)
            {
                r[i] = TOp.Apply(x[(long)i * s.S0], y[(long)i * s.S1]);
            }
        }
    }
}

/// <summary>Operand 0 is the Bool condition, 1 and 2 the branches, 3 the contiguous output; moves bits of any element size.</summary>
internal readonly unsafe struct WhereSegments<T>(byte* condition, T* a, T* b, T* d) : ISegmentKernel where T : unmanaged
{
    public void Run(in Segment s)
    {
        byte* c = condition + s.O0;
        T* x = a + s.O1, y = b + s.O2, r = d + s.O3;
        if (s.S0 == 1 && s.S1 == 1 && s.S2 == 1)
        {
            for (int i = 0; i < s.Length; i++)
            {
                r[i] = c[i] != 0 ? x[i] : y[i];
            }

            return;
        }

        for (int i = 0; i < s.Length; i++)
        {
            r[i] = c[(long)i * s.S0] != 0 ? x[(long)i * s.S1] : y[(long)i * s.S2];
        }
    }
}
