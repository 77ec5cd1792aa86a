// Quickstart: fit y = 3x - 2 (plus noise) with autograd and a hand-written SGD loop.
// Everything Spamp does in a training step is here: tensors, parameters, a graph recorded by
// running the model, Backward() for the gradients, and an update outside the graph.
using Spamp;

var generator = new Generator(seed: 7);
using Tensor x = Tensor.Randn([256, 1], generator: generator);
using Tensor noise = Tensor.Randn([256, 1], generator: generator, std: 0.1);
using Tensor y = x * 3.0 - 2.0 + noise;

using var w = new Parameter(Tensor.Zeros([1, 1]), "weight");
using var b = new Parameter(Tensor.Zeros([1]), "bias");
const double lr = 0.1;

for (int step = 1; step <= 100; step++)
{
    using var scope = TensorScope.Begin();          // frees this step's temporaries at the end
    var prediction = new Variable(x).MatMul(w) + b;  // define-by-run: the graph is recorded here
    var loss = (prediction - new Variable(y)).Square().Mean();
    w.ZeroGrad();
    b.ZeroGrad();
    loss.Backward();                                 // d loss / d w and d loss / d b
    using (Autograd.NoGrad())                        // the update is not part of the graph
    {
        w.Data.AddInPlace(w.Grad!, -lr);
        b.Data.AddInPlace(b.Grad!, -lr);
    }

    if (step % 20 == 0)
    {
        Console.WriteLine($"step {step,3}  loss {loss.Data.ItemAsDouble():F5}");
    }
}

double slope = w.Data.ItemAsDouble(), intercept = b.Data.ItemAsDouble();
Console.WriteLine($"learned y = {slope:F3} x {(intercept < 0 ? "-" : "+")} {Math.Abs(intercept):F3}   (true: y = 3x - 2)");
