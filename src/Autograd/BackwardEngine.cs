namespace Spamp;

/// <summary>
/// Reverse-mode differentiation over the recorded graph: visit nodes in reverse topological order
/// (each only after every consumer of its output has contributed), sum the contributions to each
/// gradient (fan-out means +=), reduce broadcast gradients back to their input's shape, and hand
/// the completed gradient of each leaf to the leaf.
/// </summary>
internal static class BackwardEngine
{
    public static void Run(Variable root, Tensor? gradient, bool retainGraph)
    {
        if (!root.RequiresGrad)
        {
            throw new InvalidOperationException($"backward: the variable of shape {root.Shape} does not require grad and has no grad_fn");
        }

        Tensor seed = SeedGradient(root, gradient);
        if (root.GradFn is null)
        {
            var single = new Dictionary<Variable, int> { [root] = 1 };
            var pendingLeaf = new Dictionary<Variable, Tensor>();
            DeliverToLeaf(root, seed, single, pendingLeaf);
            return;
        }

        // 1. Count, for every node and every leaf, how many gradient contributions it will receive.
        var nodeUses = new Dictionary<Node, int>();
        var leafUses = new Dictionary<Variable, int>();
        var stack = new Stack<Node>();
        stack.Push(root.GradFn);
        nodeUses[root.GradFn] = 0;
        while (stack.Count > 0)
        {
            Node node = stack.Pop();
            if (node.Released)
            {
                throw new InvalidOperationException(
                    $"backward: trying to go through '{node.Name}' a second time after its saved tensors were freed; call Backward(retainGraph: true) the first time");
            }

            foreach (Variable? input in node.Inputs)
            {
                if (input is null)
                {
                    continue;
                }

                if (input.GradFn is { } producer)
                {
                    if (nodeUses.TryGetValue(producer, out int uses))
                    {
                        nodeUses[producer] = uses + 1;
                    }
                    else
                    {
                        nodeUses[producer] = 1;
                        stack.Push(producer);
                    }
                }
                else
                {
                    leafUses[input] = leafUses.GetValueOrDefault(input) + 1;
                }
            }
        }

        // 2. Process nodes once all their contributions have arrived (Kahn's algorithm).
        var pending = new Dictionary<Node, Tensor> { [root.GradFn] = seed };
        var pendingLeaves = new Dictionary<Variable, Tensor>();
        var ready = new Queue<Node>();
        ready.Enqueue(root.GradFn);
        try
        {
            while (ready.Count > 0)
            {
                Node node = ready.Dequeue();
                Tensor grad = pending[node];
                pending.Remove(node);
                grad = ApplyHooks(node.HasHooks ? node.Hooks : null, grad);

                Tensor?[] inputGrads;
                try
                {
                    inputGrads = node.Backward(grad);
                }
                finally
                {
                    grad.Dispose();
                    if (!retainGraph)
                    {
                        node.ReleaseSaved();
                    }
                }

                for (int i = 0; i < node.Inputs.Length; i++)
                {
                    Variable? input = node.Inputs[i];
                    Tensor? g = i < inputGrads.Length ? inputGrads[i] : null;
                    if (input is null)
                    {
                        g?.Dispose();
                        continue;
                    }

                    if (g is null)
                    {
                        // No contribution (e.g. a gradient that is identically zero was skipped): still count the edge.
                        g = Tensor.Zeros(input.Shape, input.DType, input.Device);
                    }

                    g = ReduceToShape(g, input.Shape, node.Name);
                    if (g.DType != input.DType)
                    {
                        // A mixed-dtype op (float32 * float64) computes in the wider type; each input's gradient has the input's own dtype.
                        g = g.CastAndDispose(input.DType);
                    }
                    if (Autograd.IsAnomalyDetectionEnabled)
                    {
                        AnomalyCheck.ThrowIfNonFinite(g, $"the backward of '{node.Name}'", node.ModulePath);
                    }

                    if (input.GradFn is { } producer)
                    {
                        Accumulate(pending, producer, g);
                        if (--nodeUses[producer] == 0)
                        {
                            ready.Enqueue(producer);
                        }
                    }
                    else
                    {
                        Accumulate(pendingLeaves, input, g);
                        DeliverToLeaf(input, null, leafUses, pendingLeaves);
                    }
                }
            }
        }
        finally
        {
            foreach (Tensor t in pending.Values)
            {
                t.Dispose();
            }

            foreach (Tensor t in pendingLeaves.Values)
            {
                t.Dispose();
            }
        }
    }

    private static Tensor SeedGradient(Variable root, Tensor? gradient)
    {
        if (gradient is null)
        {
            if (root.Numel != 1)
            {
                throw new InvalidOperationException(
                    $"backward: a gradient can be created implicitly only for a scalar output; this variable has shape {root.Shape}, so pass Backward(gradient)");
            }

            return Tensor.OnesLike(root.Data);
        }

        if (gradient.Shape != root.Shape)
        {
            throw new ShapeMismatchException($"backward: gradient has shape {gradient.Shape} but the variable has shape {root.Shape}", nameof(gradient));
        }

        return gradient.To(root.DType);
    }

    private static void Accumulate<TKey>(Dictionary<TKey, Tensor> sums, TKey key, Tensor g) where TKey : notnull
    {
        if (sums.TryGetValue(key, out Tensor? existing))
        {
            sums[key] = existing + g;
            existing.Dispose();
            g.Dispose();
        }
        else
        {
            sums[key] = g;
        }
    }

    /// <summary>Gives a leaf its gradient once every contribution has arrived (leaf hooks, +=, GradReady).</summary>
    private static void DeliverToLeaf(Variable leaf, Tensor? direct, Dictionary<Variable, int> uses, Dictionary<Variable, Tensor> pendingLeaves)
    {
        if (direct is not null)
        {
            pendingLeaves[leaf] = direct;
        }
        else if (--uses[leaf] > 0)
        {
            return;
        }

        Tensor g = pendingLeaves[leaf];
        pendingLeaves.Remove(leaf);
        g = ApplyHooks(leaf.LeafHooks, g);
        if (leaf.Grad is null)
        {
            // The leaf owns its gradient exclusively and densely: optimizers update it in place.
            bool exclusive = g.Storage.References == 1 && g.IsContiguous && g.Layout.Offset == 0 && g.Numel == g.Storage.Capacity;
            Tensor owned = exclusive ? g : g.Clone();
            if (!exclusive)
            {
                g.Dispose();
            }

            leaf.Grad = TensorScope.Detach(owned);
        }
        else
        {
            leaf.Grad.AddInPlace(g);
            g.Dispose();
        }

        (leaf as Parameter)?.RaiseGradReady();
    }

    private static Tensor ApplyHooks(List<Func<Tensor, Tensor?>>? hooks, Tensor grad)
    {
        if (hooks is null)
        {
            return grad;
        }

        foreach (var hook in hooks.ToArray())
        {
            Tensor? replaced = hook(grad);
            if (replaced is not null && !ReferenceEquals(replaced, grad))
            {
                if (replaced.Shape != grad.Shape)
                {
                    throw new ShapeMismatchException($"hook: returned a gradient of shape {replaced.Shape} for a gradient of shape {grad.Shape}");
                }

                grad.Dispose();
                grad = replaced;
            }
        }

        return grad;
    }

    /// <summary>
    /// Sums a gradient that has the broadcast shape of an op's output down to the input's shape:
    /// leading dimensions the input lacked are summed away, and dimensions where the input had
    /// size 1 are summed with keepdim.
    /// </summary>
    internal static Tensor ReduceToShape(Tensor grad, Shape shape, string op)
    {
        if (grad.Shape == shape)
        {
            return grad;
        }

        int lead = grad.Rank - shape.Rank;
        if (lead < 0 || Shape.TryBroadcast(grad.Shape, shape) != grad.Shape)
        {
            throw new ShapeMismatchException($"backward of '{op}': gradient of shape {grad.Shape} cannot be reduced to the input shape {shape}");
        }

        var axes = new List<int>();
        for (int d = 0; d < grad.Rank; d++)
        {
            if (d < lead || (shape[d - lead] == 1 && grad.Shape[d] != 1))
            {
                axes.Add(d);
            }
        }

        using Tensor summed = grad.Sum([.. axes], keepDim: true);
        grad.Dispose();
        return summed.Reshape(shape.ToArray());
    }
}
