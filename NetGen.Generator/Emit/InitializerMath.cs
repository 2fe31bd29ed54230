using System;
using NetGen.Generator.Model;

namespace NetGen.Generator.Emit
{
    /// <summary>
    /// Parameters of the initial-weight distributions, with torch.nn.init's gains and fans:
    /// fan_in is a dense layer's input count and fan_out its output count; a convolution
    /// multiplies its channels by the kernel area, as torch does.
    /// </summary>
    internal static class InitializerMath
    {
        /// <summary>
        /// Gain as torch.nn.init.calculate_gain gives it: ReLU √2, leaky ReLU √(2/(1 + α²)), tanh
        /// 5/3; 1 for identity and sigmoid, and for activations calculate_gain does not cover.
        /// </summary>
        public static double Gain(Activation activation, float alpha) => activation switch
        {
            Activation.Relu => Math.Sqrt(2.0),
            Activation.LeakyRelu => Math.Sqrt(2.0 / (1.0 + ((double)alpha * alpha))),
            Activation.Tanh => 5.0 / 3.0,
            _ => 1.0,
        };

        /// <summary>Half-width b of U(−b, b), or the standard deviation of N(0, σ²), or the constant.</summary>
        public static double Parameter(LayerLayout layer)
        {
            InitSpec init = layer.Spec.Init;
            double gain = float.IsNaN(init.Gain) ? Gain(layer.Activation, layer.Alpha) : init.Gain;
            double fan = init.Mode == FanMode.FanOut ? layer.FanOut : layer.FanIn;
            double fanSum = layer.FanIn + layer.FanOut;
            return layer.Initializer switch
            {
                Initializer.HeUniform => gain * Math.Sqrt(3.0 / fan),
                Initializer.GlorotUniform => gain * Math.Sqrt(6.0 / fanSum),
                Initializer.LeCunUniform => Math.Sqrt(3.0 / fan),
                Initializer.UniformHalf => 0.5,
                Initializer.HeNormal => gain / Math.Sqrt(fan),
                Initializer.GlorotNormal => gain * Math.Sqrt(2.0 / fanSum),
                Initializer.LeCunNormal => 1.0 / Math.Sqrt(fan),
                Initializer.Zeros => 0.0,
                Initializer.Ones => 1.0,
                Initializer.Constant => init.Value,
                _ => throw new ArgumentOutOfRangeException(nameof(layer), layer.Initializer, "Default must be resolved before emission."),
            };
        }

        /// <summary>Name of the runtime method that draws or fills the weights.</summary>
        public static string Method(Initializer initializer) => initializer switch
        {
            Initializer.HeNormal or Initializer.GlorotNormal or Initializer.LeCunNormal => "Normal",
            Initializer.Zeros or Initializer.Ones or Initializer.Constant => "Constant",
            _ => "Uniform",
        };

        /// <summary>The formula of the distribution, for comments and the remarks table.</summary>
        public static string Formula(LayerLayout layer)
        {
            InitSpec init = layer.Spec.Init;
            string gain = !float.IsNaN(init.Gain)
                ? SourceWriter.Float(init.Gain).TrimEnd('f') + "·"
                : layer.Activation switch
                {
                    Activation.Relu => "√2·",
                    Activation.LeakyRelu => "√(2/(1+α²))·",
                    Activation.Tanh => "(5/3)·",
                    _ => string.Empty,
                };
            string fan = (init.Mode == FanMode.FanOut ? layer.FanOut : layer.FanIn).ToString(System.Globalization.CultureInfo.InvariantCulture);
            string sum = layer.FanIn + "+" + layer.FanOut;
            return layer.Initializer switch
            {
                Initializer.HeUniform => "He uniform: U(±" + gain + "√(3/" + fan + "))",
                Initializer.GlorotUniform => "Glorot uniform: U(±" + gain + "√(6/(" + sum + ")))",
                Initializer.LeCunUniform => "LeCun uniform: U(±√(3/" + fan + "))",
                Initializer.HeNormal => "He normal: N(0, (" + gain + "1/√" + fan + ")²)",
                Initializer.GlorotNormal => "Glorot normal: N(0, (" + gain + "√(2/(" + sum + ")))²)",
                Initializer.LeCunNormal => "LeCun normal: N(0, 1/" + fan + ")",
                Initializer.Zeros => "zeros",
                Initializer.Ones => "ones",
                Initializer.Constant => "constant " + SourceWriter.Float(init.Value).TrimEnd('f'),
                _ => "U(−0.5, 0.5)",
            };
        }
    }
}
