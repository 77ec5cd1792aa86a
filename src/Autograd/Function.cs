using Spamp.Functions;

namespace Spamp;

/// <summary>Operations defined by the user rather than by the library.</summary>
public static class Function
{
    /// <summary>
    /// Records a custom differentiable operation named <paramref name="name"/>. <paramref name="forward"/>
    /// receives the inputs' values and returns the output (a new tensor, which the result owns);
    /// <paramref name="backward"/> receives the output's gradient and the inputs' values and returns
    /// one gradient per input (null for none; shapes may be the broadcast output shape). When
    /// <paramref name="backward"/> is null the op is still recorded, and a backward pass that
    /// reaches it throws <see cref="InvalidOperationException"/> naming it, rather than silently
    /// treating the inputs as constants.
    /// </summary>
    public static Variable Custom(string name, Func<Tensor[], Tensor> forward, Func<Tensor, Tensor[], Tensor?[]>? backward, params Variable[] inputs) =>
        CustomFunction.Apply(name, forward, backward, inputs);
}
