using System;

namespace NetGen.Samples.Aot;

/// <summary>
/// A small tanh controller: 4 state values (position, velocity, angle, angular velocity) in,
/// 2 actuator commands in (−1, 1) out, trained to imitate <see cref="TeacherPolicy"/>.
/// </summary>
[Network(Loss = Loss.SquaredError)]
[Input(4)]
[Dense(32, Activation.Tanh)]
[Dense(32, Activation.Tanh)]
[Dense(2, Activation.Tanh)]
public sealed partial class Controller;

/// <summary>The policy the controller learns to imitate, and the training states drawn for it.</summary>
internal static class TeacherPolicy
{
    /// <summary>
    /// Writes the teacher's commands for one state s = (x, v, θ, ω): a saturated state feedback
    /// u₀ = tanh(1.5θ + 0.6ω − 0.3x − 0.4v) and a braking command u₁ = tanh(2θω − 0.8v), whose
    /// product term a linear model cannot fit.
    /// </summary>
    public static void Command(ReadOnlySpan<float> state, Span<float> command)
    {
        double x = state[0];
        double v = state[1];
        double theta = state[2];
        double omega = state[3];
        command[0] = (float)Math.Tanh((1.5 * theta) + (0.6 * omega) - (0.3 * x) - (0.4 * v));
        command[1] = (float)Math.Tanh((2.0 * theta * omega) - (0.8 * v));
    }

    /// <summary>
    /// Draws <paramref name="count"/> states uniformly from [−1, 1]⁴ with a seeded generator and
    /// returns them with the teacher's commands, sample after sample.
    /// </summary>
    public static (float[] States, float[] Commands) CreateSamples(int count, int seed)
    {
        var random = new Random(seed);
        var states = new float[count * Controller.InputSize];
        var commands = new float[count * Controller.OutputSize];
        for (int i = 0; i < states.Length; i++)
        {
            states[i] = (float)((2.0 * random.NextDouble()) - 1.0);
        }

        for (int sample = 0; sample < count; sample++)
        {
            Command(
                states.AsSpan(sample * Controller.InputSize, Controller.InputSize),
                commands.AsSpan(sample * Controller.OutputSize, Controller.OutputSize));
        }

        return (states, commands);
    }
}
