namespace Spamp;

/// <summary>
/// One recorded operation in the graph: the function that made a variable, with the tensors its
/// derivative needs. A subclass implements <see cref="Backward"/> beside its forward (one file per
/// op, under Functions/), so the derivative can be read next to what it differentiates.
/// <para>
/// Ownership: tensors a node saves belong to it and are disposed by <see cref="ReleaseSaved"/>
/// after backward (unless the graph is retained). Tensors returned by <see cref="Backward"/> belong
/// to the engine, so a node must return fresh tensors or <see cref="Tensor.Alias"/>es, never a
/// tensor it keeps or the incoming gradient object itself.
/// </para>
/// </summary>
public abstract class Node
{
    private readonly List<Tensor> _saved = [];
    private List<Func<Tensor, Tensor?>>? _hooks;

    /// <summary>The operation's name as PyTorch spells it (<c>matmul</c>, <c>softmax</c>), used in errors and anomaly reports.</summary>
    public abstract string Name { get; }

    /// <summary>The inputs this node differentiates with respect to (null where an input needs no gradient).</summary>
    internal Variable?[] Inputs { get; private set; } = [];

    /// <summary>Module path active when the op ran (for anomaly messages).</summary>
    internal string? ModulePath { get; private set; }

    /// <summary>True once saved tensors were released: a second backward through this node is an error.</summary>
    internal bool Released { get; private set; }

    /// <summary>
    /// Computes the gradient with respect to each input from the gradient of the output. Entry i
    /// may be null when input i needs no gradient; shapes may be broadcast forms of the inputs'
    /// shapes (the engine sums them down).
    /// </summary>
    protected internal abstract Tensor?[] Backward(Tensor gradOutput);

    /// <summary>Keeps <paramref name="tensor"/> (a new reference) for the backward pass and returns it.</summary>
    protected Tensor Save(Tensor tensor)
    {
        Tensor kept = tensor.Alias();
        _saved.Add(kept);
        return kept;
    }

    /// <summary>Frees the tensors saved for backward.</summary>
    internal void ReleaseSaved()
    {
        foreach (Tensor t in _saved)
        {
            t.Dispose();
        }

        _saved.Clear();
        Released = true;
    }

    /// <summary>Hooks on the gradient of this node's output variable.</summary>
    internal List<Func<Tensor, Tensor?>> Hooks => _hooks ??= [];

    internal bool HasHooks => _hooks is { Count: > 0 };

    /// <summary>
    /// Records this node as the creator of a variable holding <paramref name="output"/> when any
    /// input requires a gradient and recording is on; otherwise returns a plain variable.
    /// Anomaly mode checks the output here.
    /// </summary>
    internal Variable Record(Tensor output, params Variable?[] inputs)
    {
        if (Autograd.IsAnomalyDetectionEnabled)
        {
            AnomalyCheck.ThrowIfNonFinite(output, $"the forward of '{Name}'", Autograd.CurrentModulePath);
        }

        bool needed = false;
        foreach (Variable? input in inputs)
        {
            needed |= input is { RequiresGrad: true };
        }

        if (!needed || !Autograd.IsGradEnabled)
        {
            ReleaseSaved();
            return new Variable(output);
        }

        var edges = new Variable?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            edges[i] = inputs[i] is { RequiresGrad: true } v ? v : null;
        }

        Inputs = edges;
        ModulePath = Autograd.CurrentModulePath;
        return new Variable(output, this);
    }

    /// <summary>Whether input <paramref name="index"/> needs a gradient (lets a node skip work).</summary>
    protected bool NeedsGrad(int index) => index < Inputs.Length && Inputs[index] is not null;

    /// <inheritdoc/>
    public override string ToString() => $"<{Name}Backward>";
}

/// <summary>Non-finite checks for anomaly mode.</summary>
internal static class AnomalyCheck
{
    public static void ThrowIfNonFinite(Tensor tensor, string where, string? modulePath)
    {
        if (!tensor.DType.IsFloatingPoint() || tensor.Numel == 0)
        {
            return;
        }

        using Tensor magnitude = tensor.Abs();
        using Tensor worst = magnitude.Amax();
        double value = worst.ItemAsDouble();
        if (!double.IsFinite(value))
        {
            string module = modulePath is null ? "" : $" in module '{modulePath}'";
            throw new AnomalyException($"{where}{module} produced {(double.IsNaN(value) ? "NaN" : "infinity")} in a tensor of shape {tensor.Shape}");
        }
    }
}
