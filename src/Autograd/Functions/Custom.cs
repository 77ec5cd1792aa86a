namespace Spamp.Functions;

/// <summary>
/// A user-defined differentiable operation: <c>forward</c> computes the output from the inputs'
/// values, <c>backward</c> maps (output gradient, input values) to one gradient per input (null
/// where there is none). Without a backward the graph is still recorded, and reaching the node in
/// backward throws: an operation never silently cuts the graph.
/// </summary>
internal sealed class CustomFunction : Node
{
    private readonly string _name;
    private readonly Func<Tensor, Tensor[], Tensor?[]>? _backward;
    private Tensor[] _inputs = [];

    private CustomFunction(string name, Func<Tensor, Tensor[], Tensor?[]>? backward)
    {
        _name = name;
        _backward = backward;
    }

    public override string Name => _name;

    public static Variable Apply(string name, Func<Tensor[], Tensor> forward, Func<Tensor, Tensor[], Tensor?[]>? backward, Variable[] inputs)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(inputs);
        var values = new Tensor[inputs.Length];
        bool needsGrad = false;
        for (int i = 0; i < inputs.Length; i++)
        {
            values[i] = inputs[i].Data;
            needsGrad |= inputs[i].RequiresGrad;
        }

        Tensor y = forward(values) ?? throw new InvalidOperationException($"'{name}': the forward function returned null");
        if (values.Any(v => ReferenceEquals(v, y)))
        {
            // The output variable owns its tensor: never hand it an input's tensor object.
            y = y.Alias();
        }

        var node = new CustomFunction(name, backward);
        if (backward is not null && needsGrad && Autograd.IsGradEnabled)
        {
            node._inputs = values.Select(node.Save).ToArray();
        }

        return node.Record(y, inputs);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        if (_backward is null)
        {
            throw new InvalidOperationException(
                $"'{_name}' has no backward; pass a backward function to Function.Custom, or compute it inside Autograd.NoGrad() or on Detach()ed inputs if no gradient should flow through it");
        }

        Tensor?[] grads = _backward(gradOutput, _inputs) ?? throw new InvalidOperationException($"'{_name}': the backward function returned null");
        if (grads.Length != Inputs.Length)
        {
            throw new InvalidOperationException($"'{_name}': the backward function returned {grads.Length} gradients for {Inputs.Length} inputs");
        }

        for (int i = 0; i < grads.Length; i++)
        {
            // The engine disposes what a backward returns: give it its own reference when the user
            // returned the incoming gradient or a saved input (or the same tensor twice).
            if (grads[i] is { } g && (ReferenceEquals(g, gradOutput) || _inputs.Any(t => ReferenceEquals(t, g)) || grads.Take(i).Any(o => ReferenceEquals(o, g))))
            {
                grads[i] = g.Alias();
            }
        }

        return grads;
    }
}
