using Spamp.Memory;

namespace Spamp.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public override void FillRandom(RandomKind kind, Storage dst, int count, ulong seed, ulong offset, double a, double b) => throw new NotImplementedException();
    public override void Reduce(ReduceOp op, Storage src, Layout srcLayout, ReadOnlySpan<int> axes, Storage dst) => throw new NotImplementedException();
    public override void ArgReduce(bool max, Storage src, Layout srcLayout, int axis, Storage values, Storage indices) => throw new NotImplementedException();
    public override void MatMul(Storage a, Layout aLayout, Storage b, Layout bLayout, Storage dst) => throw new NotImplementedException();
    public override void Softmax(Storage src, int outer, int size, int inner, bool log, Storage dst) => throw new NotImplementedException();
    public override void SoftmaxBackward(Storage output, Storage gradOutput, int outer, int size, int inner, bool log, Storage gradInput) => throw new NotImplementedException();
    public override void IndexSelect(Storage src, Layout srcLayout, int axis, Storage index, int indexCount, Storage dst) => throw new NotImplementedException();
    public override void IndexAdd(Storage dst, Layout dstLayout, int axis, Storage index, int indexCount, Storage src, Layout srcLayout) => throw new NotImplementedException();
    public override void Gather(Storage src, Layout srcLayout, int axis, Storage index, Layout indexLayout, Storage dst) => throw new NotImplementedException();
    public override void ScatterAdd(Storage dst, Layout dstLayout, int axis, Storage index, Layout indexLayout, Storage src, Layout srcLayout) => throw new NotImplementedException();
}
