using System.Collections;

namespace Spamp.Layers;

/// <summary>
/// Runs its modules in order, each on the previous one's output (torch.nn.Sequential). Children
/// are named "0", "1", ..., so parameters are <c>0.weight</c>, <c>2.bias</c>, as in PyTorch.
/// </summary>
public sealed class Sequential : Module, IReadOnlyList<Module>
{
    private readonly List<Module> _modules = [];

    /// <summary>Creates the container from modules in the order they run.</summary>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (Module module in modules)
        {
            Append(module);
        }
    }

    /// <summary>The module at <paramref name="index"/> (negative counts from the end, as in Python).</summary>
    public Module this[int index]
    {
        get
        {
            int i = index < 0 ? index + _modules.Count : index;
            if (i < 0 || i >= _modules.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"sequential: index {index} is out of range for {_modules.Count} modules");
            }

            return _modules[i];
        }
    }

    /// <summary>Number of modules.</summary>
    public int Count => _modules.Count;

    /// <summary>Adds <paramref name="module"/> at the end, named by its position.</summary>
    public Sequential Append(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(_modules.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _modules.Add(module);
        return this;
    }

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input)
    {
        Variable x = input;
        foreach (Module module in _modules)
        {
            x = module.Forward(x);
        }

        return x;
    }

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => _modules.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
