namespace Spamp.Layers;

/// <summary>Saving and loading a module's state dict as safetensors (the weights PyTorch's safetensors.torch.load_file reads).</summary>
public static class ModuleSafeTensorsExtensions
{
    /// <summary>Writes every parameter and persistent buffer of <paramref name="module"/> under its dotted name.</summary>
    public static void SaveSafeTensors(this Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        Dictionary<string, Tensor> state = module.StateDict();
        try
        {
            SafeTensors.Save(path, state, metadata);
        }
        finally
        {
            foreach (Tensor tensor in state.Values)
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>
    /// Loads a safetensors file into <paramref name="module"/> through <see cref="Module.LoadStateDict"/>:
    /// with <paramref name="strict"/>, missing or unexpected keys throw; shape mismatches always throw;
    /// on any error nothing changes.
    /// </summary>
    public static LoadStateDictResult LoadSafeTensors(this Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        Dictionary<string, Tensor> state = SafeTensors.Load(path);
        try
        {
            return module.LoadStateDict(state, strict);
        }
        finally
        {
            foreach (Tensor tensor in state.Values)
            {
                tensor.Dispose();
            }
        }
    }
}
