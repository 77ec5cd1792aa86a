namespace Spamp.Optim;

/// <summary>
/// Muon with auxiliary AdamW (Keller Jordan's <c>MuonWithAuxAdam</c>): hidden weight matrices are
/// updated by <see cref="MuonRule"/> (momentum, Newton-Schulz orthogonalisation, shape scaling),
/// every other parameter (embeddings, heads, biases, norm gains) by AdamW. Given plain parameters,
/// the optimizer splits them into two groups: the Muon group (lr, weight decay) and the AdamW group
/// (<c>adamLr</c>, <c>adamWeightDecay</c>), so one schedule drives both.
/// Defaults are Keller's: lr 0.02, momentum 0.95, Nesterov, 5 steps, weight decay 0; AdamW lr 3e-4,
/// betas (0.9, 0.95), eps 1e-10, weight decay 0. Given groups, each parameter keeps its group's lr
/// and is routed by <c>usesMuon</c> alone.
/// </summary>
public sealed class Muon : Optimizer
{
    /// <summary>Muon over plain parameters, split into a Muon group and an AdamW group by <c>usesMuon</c> (default <see cref="MuonRule.IsHiddenMatrix"/>).</summary>
    public Muon(IEnumerable<Parameter> parameters, double lr = 0.02, double momentum = 0.95, bool nesterov = true, int nsSteps = 5,
        double weightDecay = 0, double adamLr = 3e-4, (double Beta1, double Beta2)? adamBetas = null, double adamEps = 1e-10,
        double adamWeightDecay = 0, Func<Parameter, bool>? usesMuon = null, MuonShapeScaling scaling = MuonShapeScaling.Keller,
        MuonNormalization normalization = MuonNormalization.Keller, IGradientTransform? shaping = null)
        : base(Split(parameters, usesMuon ?? MuonRule.IsHiddenMatrix, adamLr, adamWeightDecay), lr, weightDecay,
            CreateRule(momentum, nesterov, nsSteps, scaling, normalization, usesMuon, adamBetas, adamEps), shaping is null ? null : [shaping])
    {
    }

    /// <summary>Muon over parameter groups: each group keeps its lr and weight decay; <paramref name="usesMuon"/> routes each parameter.</summary>
    public Muon(IEnumerable<ParameterGroup> groups, double lr = 0.02, double momentum = 0.95, bool nesterov = true, int nsSteps = 5,
        double weightDecay = 0, (double Beta1, double Beta2)? adamBetas = null, double adamEps = 1e-10, Func<Parameter, bool>? usesMuon = null,
        MuonShapeScaling scaling = MuonShapeScaling.Keller, MuonNormalization normalization = MuonNormalization.Keller, IGradientTransform? shaping = null)
        : base(groups, lr, weightDecay, CreateRule(momentum, nesterov, nsSteps, scaling, normalization, usesMuon, adamBetas, adamEps),
            shaping is null ? null : [shaping])
    {
    }

    /// <summary>The rule with this optimizer's hyperparameters.</summary>
    public MuonRule MuonRule => (MuonRule)Rule!;

    private static MuonRule CreateRule(double momentum, bool nesterov, int nsSteps, MuonShapeScaling scaling, MuonNormalization normalization,
        Func<Parameter, bool>? usesMuon, (double Beta1, double Beta2)? adamBetas, double adamEps)
    {
        var (beta1, beta2) = adamBetas ?? (0.9, 0.95);
        var auxiliary = new AdamRule(beta1, beta2, adamEps, decoupledWeightDecay: true);
        return new MuonRule(momentum, nesterov, nsSteps, scaling, normalization, usesMuon: usesMuon, auxiliary: auxiliary);
    }

    private static List<ParameterGroup> Split(IEnumerable<Parameter> parameters, Func<Parameter, bool> usesMuon, double adamLr, double adamWeightDecay)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(adamLr >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(adamLr), adamLr, $"Muon: invalid AdamW learning rate {adamLr}");
        }

        var muon = new List<Parameter>();
        var adam = new List<Parameter>();
        foreach (Parameter p in parameters)
        {
            (usesMuon(p) ? muon : adam).Add(p);
        }

        var groups = new List<ParameterGroup>(2);
        if (muon.Count > 0)
        {
            groups.Add(new ParameterGroup(muon));
        }

        if (adam.Count > 0)
        {
            groups.Add(new ParameterGroup(adam, adamLr, adamWeightDecay));
        }

        return groups;
    }
}
