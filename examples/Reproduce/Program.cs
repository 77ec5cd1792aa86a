// The SPAMP paper reproduction: trains every method on one task with identical initial weights and data
// order per seed, runs the selected studies and writes a report folder.
//
//   dotnet run -c Release --project examples/Reproduce -- --task fashion-mnist --studies all   # about 12 minutes on 2 quiet cores
//   dotnet run -c Release --project examples/Reproduce -- --help                               # every option
using Spamp.Examples.Reproduce;
using Spamp.Examples.Reproduction;
using Spamp.Examples.Tasks;

CommandLine command;
try
{
    command = CommandLine.Parse(args);
}
catch (ArgumentException e)
{
    // ArgumentException appends "(Parameter 'x')", which means nothing to someone typing options.
    Console.Error.WriteLine($"error: {(e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal))}");
    Console.Error.WriteLine("run with --help for the options");
    return 2;
}

if (command.Help)
{
    Console.WriteLine(CommandLine.HelpText);
    return 0;
}

TrainingTask task;
try
{
    task = TaskCatalog.Create(command.Task!, command.Data);
}
catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 3;
}

using (task)
{
    string line = "dotnet run -c Release --project examples/Reproduce -- " + string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a));
    Harness.Run(task, command.ToOptions(line), Console.Out);
}

return 0;
