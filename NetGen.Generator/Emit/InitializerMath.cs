using System;

namespace NetGen.Generator.Emit
{
    /// <summary>
    /// Bounds of the uniform initial-weight distributions, with torch.nn.init's gains and fans:
    /// fan_in is a dense layer's input count and fan_out its output count.
    /// </summary>
    internal static class InitializerMath
    {
        /// <summary>Gain as torch.nn.init.calculate_gain gives it for each activation.</summary>
        public static double Gain(Activation activation) => activation switch
        {
            Activation.Relu => Math.Sqrt(2.0),
            Activation.Tanh => 5.0 / 3.0,
            _ => 1.0,
        };

        /// <summary>Half-width b of U(−b, b) for the layer.</summary>
        public static double UniformBound(Initializer initializer, Activation activation, int fanIn, int fanOut) => initializer switch
        {
            Initializer.HeUniform => Gain(activation) * Math.Sqrt(3.0 / fanIn),
            Initializer.GlorotUniform => Gain(activation) * Math.Sqrt(6.0 / (fanIn + fanOut)),
            Initializer.LeCunUniform => Math.Sqrt(3.0 / fanIn),
            Initializer.UniformHalf => 0.5,
            _ => throw new ArgumentOutOfRangeException(nameof(initializer), initializer, "Default must be resolved before emission."),
        };

        /// <summary>The formula of the bound, for the comment next to the generated call.</summary>
        public static string Formula(Initializer initializer, Activation activation, int fanIn, int fanOut)
        {
            string gain = activation switch
            {
                Activation.Relu => "√2·",
                Activation.Tanh => "(5/3)·",
                _ => string.Empty,
            };
            return initializer switch
            {
                Initializer.HeUniform => "He uniform: " + gain + "√(3/" + fanIn + ")",
                Initializer.GlorotUniform => "Glorot uniform: " + gain + "√(6/(" + fanIn + "+" + fanOut + "))",
                Initializer.LeCunUniform => "LeCun uniform: √(3/" + fanIn + ")",
                _ => "U(−0.5, 0.5)",
            };
        }
    }
}
