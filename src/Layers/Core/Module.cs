namespace Spamp.Layers;

/// <summary>
/// The base of every layer and model, as torch.nn.Module: named parameters, buffers and child
/// modules with PyTorch's dotted names (<c>blocks.0.attn.qkv.weight</c>), train/eval mode, state
/// dicts, forward hooks, <see cref="Apply"/> for initialisation and <see cref="To"/> for devices.
/// <para>
/// A subclass registers what it owns in its constructor (<see cref="RegisterParameter"/>,
/// <see cref="RegisterBuffer"/>, <see cref="RegisterModule{T}"/>) and implements
/// <see cref="ForwardCore"/> (single-input modules) or its own <c>Forward</c> overload that goes
/// through <see cref="RunForward"/>, so hooks and anomaly reports see every call. Each parameter's
/// <see cref="Parameter.Layer"/> is kept equal to its owning module's path: that is how the
/// optimizer groups gradients per layer without knowing about modules.
/// </para>
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Parameter Parameter)> _parameters = [];
    private readonly List<(string Name, Tensor Tensor, bool Persistent)> _buffers = [];
    private readonly List<(string Name, Module Module)> _children = [];
    private readonly List<Action<Module, Variable[], Variable>> _forwardHooks = [];
    private string _path = "";
    private bool _disposed;

    /// <summary>True in training mode (dropout active, batch norm uses batch statistics); the default.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>This module's dotted path from the root it was registered under ("" for a root).</summary>
    public string Path => _path;

    /// <summary>The runtime type name, used in messages and <see cref="ToString"/>.</summary>
    public virtual string TypeName => GetType().Name;

    // ---- registration --------------------------------------------------------------------------

    /// <summary>Registers a trainable parameter holding <paramref name="data"/> (which the module now owns) under <paramref name="name"/>.</summary>
    protected Parameter RegisterParameter(string name, Tensor data)
    {
        CheckName(name);
        var parameter = new Parameter(data, name, _path);
        _parameters.Add((name, parameter));
        return parameter;
    }

    /// <summary>
    /// Registers a non-trainable tensor (running statistics, masks) that belongs to the state dict
    /// when <paramref name="persistent"/>. Replacing a buffer disposes the old tensor.
    /// </summary>
    protected Tensor RegisterBuffer(string name, Tensor tensor, bool persistent = true)
    {
        CheckName(name);
        TensorScope.Detach(tensor);
        _buffers.Add((name, tensor, persistent));
        return tensor;
    }

    /// <summary>Replaces the value of a registered buffer (e.g. running mean after an update); the old tensor is disposed.</summary>
    protected void SetBuffer(string name, Tensor tensor)
    {
        int i = _buffers.FindIndex(b => b.Name == name);
        if (i < 0)
        {
            throw new ArgumentException($"{TypeName}: no buffer named '{name}'", nameof(name));
        }

        TensorScope.Detach(tensor);
        if (!ReferenceEquals(_buffers[i].Tensor, tensor))
        {
            _buffers[i].Tensor.Dispose();
        }

        _buffers[i] = (name, tensor, _buffers[i].Persistent);
    }

    /// <summary>Registers a child module under <paramref name="name"/> and gives it (and its parameters) their dotted path.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name);
        _children.Add((name, module));
        module.SetPath(Join(_path, name));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{TypeName}: '{name}' is not a valid name (non-empty, no dots)", nameof(name));
        }

        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _children.Any(c => c.Name == name))
        {
            throw new ArgumentException($"{TypeName}: the name '{name}' is already registered", nameof(name));
        }
    }

    private void SetPath(string path)
    {
        _path = path;
        foreach (var (_, parameter) in _parameters)
        {
            parameter.Layer = path;
        }

        foreach (var (name, child) in _children)
        {
            child.SetPath(Join(path, name));
        }
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    // ---- traversal -----------------------------------------------------------------------------

    /// <summary>Every parameter of this module and (when <paramref name="recurse"/>) its descendants, in registration order.</summary>
    public IEnumerable<Parameter> Parameters(bool recurse = true) => NamedParameters(recurse).Select(p => p.Parameter);

    /// <summary>Parameters with their dotted names relative to this module.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(bool recurse = true)
    {
        foreach (var (name, parameter) in _parameters)
        {
            yield return (name, parameter);
        }

        if (recurse)
        {
            foreach (var (childName, child) in _children)
            {
                foreach (var (name, parameter) in child.NamedParameters())
                {
                    yield return ($"{childName}.{name}", parameter);
                }
            }
        }
    }

    /// <summary>Buffers with their dotted names relative to this module.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(bool recurse = true, bool persistentOnly = false)
    {
        foreach (var (name, tensor, persistent) in _buffers)
        {
            if (persistent || !persistentOnly)
            {
                yield return (name, tensor);
            }
        }

        if (recurse)
        {
            foreach (var (childName, child) in _children)
            {
                foreach (var (name, buffer) in child.NamedBuffers(true, persistentOnly))
                {
                    yield return ($"{childName}.{name}", buffer);
                }
            }
        }
    }

    /// <summary>The direct children with their names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;

    /// <summary>This module and every descendant with dotted names ("" for this module).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        yield return ("", this);
        foreach (var (childName, child) in _children)
        {
            foreach (var (name, module) in child.NamedModules())
            {
                yield return (name.Length == 0 ? childName : $"{childName}.{name}", module);
            }
        }
    }

    /// <summary>Calls <paramref name="action"/> on every descendant and then this module (PyTorch's order), e.g. for custom initialisation.</summary>
    public Module Apply(Action<Module> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        foreach (var (_, child) in _children)
        {
            child.Apply(action);
        }

        action(this);
        return this;
    }

    // ---- modes ---------------------------------------------------------------------------------

    /// <summary>Sets training mode on this module and all descendants.</summary>
    public Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var (_, child) in _children)
        {
            child.Train(mode);
        }

        return this;
    }

    /// <summary>Evaluation mode (Train(false)).</summary>
    public Module Eval() => Train(false);

    /// <summary>Moves every parameter and buffer to <paramref name="device"/> in place (the same Parameter objects keep their identity).</summary>
    public Module To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        foreach (var (_, parameter) in NamedParameters())
        {
            parameter.MoveTo(device);
        }

        for (int i = 0; i < _buffers.Count; i++)
        {
            var (name, tensor, persistent) = _buffers[i];
            if (tensor.Device != device)
            {
                Tensor moved = TensorScope.Detach(tensor.To(device));
                tensor.Dispose();
                _buffers[i] = (name, moved, persistent);
            }
        }

        foreach (var (_, child) in _children)
        {
            child.To(device);
        }

        return this;
    }

    // ---- forward -------------------------------------------------------------------------------

    /// <summary>Runs this module on one input (modules with other signatures expose their own Forward overloads).</summary>
    public Variable Forward(Variable input) => RunForward(() => ForwardCore(input), input);

    /// <summary>The computation of a single-input module.</summary>
    protected virtual Variable ForwardCore(Variable input) =>
        throw new InvalidOperationException($"{TypeName} does not take a single input; call its own Forward overload");

    /// <summary>
    /// Runs <paramref name="forward"/> as this module: anomaly reports inside it name this module's
    /// path, and forward hooks see the inputs and the output.
    /// </summary>
    protected Variable RunForward(Func<Variable> forward, params Variable[] inputs)
    {
        ArgumentNullException.ThrowIfNull(forward);
        Variable output;
        using (Autograd.EnterModule(_path.Length == 0 ? TypeName : _path))
        {
            output = forward();
        }

        foreach (var hook in _forwardHooks.ToArray())
        {
            hook(this, inputs, output);
        }

        return output;
    }

    /// <summary>Registers a hook called after every forward with (module, inputs, output). Returns a handle that removes it.</summary>
    public IDisposable RegisterForwardHook(Action<Module, Variable[], Variable> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        _forwardHooks.Add(hook);
        return new Handle(() => _forwardHooks.Remove(hook));
    }

    // ---- state dict ----------------------------------------------------------------------------

    /// <summary>
    /// Every parameter and persistent buffer by dotted name, as new references to the live tensors
    /// (PyTorch's state_dict shares storage too). Dispose the returned tensors when done.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, parameter) in NamedParameters())
        {
            state[name] = TensorScope.Detach(parameter.Data.Alias());
        }

        foreach (var (name, buffer) in NamedBuffers(persistentOnly: true))
        {
            state[name] = TensorScope.Detach(buffer.Alias());
        }

        return state;
    }

    /// <summary>
    /// Copies values from <paramref name="state"/> into this module's parameters and persistent
    /// buffers. Everything is checked before anything is copied: with <paramref name="strict"/>,
    /// missing or unexpected keys throw; a shape mismatch always throws; the message lists every
    /// problem, and on failure nothing is changed.
    /// </summary>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var targets = new Dictionary<string, Tensor>();
        foreach (var (name, parameter) in NamedParameters())
        {
            targets[name] = parameter.Data;
        }

        foreach (var (name, buffer) in NamedBuffers(persistentOnly: true))
        {
            targets[name] = buffer;
        }

        var missing = targets.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !targets.ContainsKey(k)).ToList();
        var mismatched = targets.Where(t => state.TryGetValue(t.Key, out Tensor? v) && v.Shape != t.Value.Shape)
            .Select(t => $"{t.Key}: checkpoint {state[t.Key].Shape}, model {t.Value.Shape}").ToList();
        if (mismatched.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            var problems = new List<string>();
            if (missing.Count > 0)
            {
                problems.Add($"missing keys: {string.Join(", ", missing)}");
            }

            if (unexpected.Count > 0)
            {
                problems.Add($"unexpected keys: {string.Join(", ", unexpected)}");
            }

            if (mismatched.Count > 0)
            {
                problems.Add($"shape mismatches: {string.Join("; ", mismatched)}");
            }

            throw new StateDictMismatchException($"load_state_dict for {TypeName}: {string.Join(". ", problems)}");
        }

        using (Autograd.NoGrad())
        {
            foreach (var (name, target) in targets)
            {
                if (state.TryGetValue(name, out Tensor? value))
                {
                    target.CopyFrom(value);
                }
            }
        }

        return new LoadStateDictResult(missing, unexpected);
    }

    // ---- lifetime and text ---------------------------------------------------------------------

    /// <summary>Disposes every parameter, buffer and child.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var (_, parameter) in _parameters)
        {
            parameter.Dispose();
        }

        foreach (var (_, tensor, _) in _buffers)
        {
            tensor.Dispose();
        }

        foreach (var (_, child) in _children)
        {
            child.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>A one-line description of this module's configuration (PyTorch's extra_repr), e.g. <c>in_features=784, out_features=10</c>.</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>PyTorch-style tree of the module and its children.</summary>
    public override string ToString()
    {
        if (_children.Count == 0)
        {
            return $"{TypeName}({ExtraRepr()})";
        }

        var lines = new List<string> { $"{TypeName}(" };
        foreach (var (name, child) in _children)
        {
            string text = child.ToString().Replace("\n", "\n  ", StringComparison.Ordinal);
            lines.Add($"  ({name}): {text}");
        }

        lines.Add(")");
        return string.Join("\n", lines);
    }

    private sealed class Handle(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}

/// <summary>The keys <see cref="Module.LoadStateDict"/> ignored in non-strict mode.</summary>
/// <param name="MissingKeys">Model keys the state did not provide (left unchanged).</param>
/// <param name="UnexpectedKeys">State keys the model does not have (ignored).</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);

/// <summary>A state dict does not fit a module: the message lists missing and unexpected keys and shape mismatches.</summary>
public class StateDictMismatchException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public StateDictMismatchException(string message) : base(message) { }

    /// <summary>Required by design guidelines.</summary>
    public StateDictMismatchException() { }

    /// <summary>Required by design guidelines.</summary>
    public StateDictMismatchException(string message, Exception innerException) : base(message, innerException) { }
}
