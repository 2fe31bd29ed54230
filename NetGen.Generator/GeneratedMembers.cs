using System.Collections.Generic;
using NetGen.Generator.Model;

namespace NetGen.Generator
{
    /// <summary>
    /// The names of the members that the emitter generates in a network class, public and private,
    /// so that a user member of the same name is reported as NETGEN0008 instead of breaking the
    /// generated file. A test compiles networks with every layer kind and checks that each
    /// generated member's name is in this set.
    /// </summary>
    internal static class GeneratedMembers
    {
        private static readonly string[] Fixed =
        {
            // Public API.
            "InputSize", "OutputSize", "ParameterCount", "LayerCount", "ArchitectureText", "Loss", "Parameters", "Buffers",
            "CreateWorkspace", "InitializeParameters", "Forward", "Predict", "Backward", "ComputeLoss", "TrainStep",
            "NotifyParametersChanged",

            // Private constants, fields and helpers.
            "ActivationsPerSample", "ScratchLength", "StatisticsLength", "MaxWidth", "DeltaAOffset", "DeltaBOffset",
            "LossClassWeights", "CommitStatistics", "PackWeights", "RunForward", "RunBackward", "RunSampleForward",
            "_parameters", "_buffers", "_packedWeights", "_packedWeightsStale", "_sampleBuffer", "_sampleWorkspace",
        };

        private static readonly string[] LayerSuffixes =
        {
            "Inputs", "Outputs", "Weight", "Bias", "RunningMean", "RunningVar", "Geometry",
            "WeightOffset", "BiasOffset", "PackedOffset", "ActivationOffset", "MaskOffset", "ArgmaxOffset",
            "NormalizedOffset", "StatisticsOffset", "InverseStdOffset", "SkipGradientOffset",
        };

        /// <summary>Returns the names for a network with these layers; <paramref name="int8"/> adds the nested Quantized class.</summary>
        public static HashSet<string> Names(IEnumerable<LayerSpec> layers, bool int8)
        {
            var names = new HashSet<string>(Fixed);
            if (int8)
            {
                names.Add("Quantized");
            }

            foreach (LayerSpec layer in layers)
            {
                foreach (string suffix in LayerSuffixes)
                {
                    names.Add(layer.Name + suffix);
                }
            }

            return names;
        }
    }
}
