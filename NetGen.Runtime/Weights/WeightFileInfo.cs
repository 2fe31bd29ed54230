namespace NetGen
{
    /// <summary>
    /// Header of a verified weight file: the architecture it was saved from, its value count
    /// and its format version. <see cref="WeightFile.ReadInfo(string)"/> returns it.
    /// </summary>
    public sealed class WeightFileInfo
    {
        /// <summary>Creates the description of one weight file.</summary>
        /// <param name="architecture">Architecture text stored in the file.</param>
        /// <param name="parameterCount">Number of float32 values stored in the file: parameters, then buffers.</param>
        /// <param name="formatVersion">Format version stored in the file.</param>
        public WeightFileInfo(string architecture, long parameterCount, int formatVersion)
        {
            Architecture = architecture;
            ParameterCount = parameterCount;
            FormatVersion = formatVersion;
        }

        /// <summary>
        /// <see cref="INetwork.Architecture"/> of the network the file was saved from, for example
        /// <c>Input(784) Dense(256,Relu) Dense(10,Identity) Loss(SoftmaxCrossEntropy)</c>.
        /// </summary>
        public string Architecture { get; }

        /// <summary>
        /// Number of float32 values in the file: the network's <see cref="INetwork.ParameterCount"/>
        /// parameters, then its <see cref="INetwork.Buffers"/> (batch norms' running statistics), if any.
        /// For a network without batch norm it equals the parameter count.
        /// </summary>
        public long ParameterCount { get; }

        /// <summary>Version of the file format. This library writes and reads version 1.</summary>
        public int FormatVersion { get; }

        /// <summary>Returns the three fields on one line, for logs and command-line tools.</summary>
        public override string ToString() =>
            $"NetGen weight file v{FormatVersion}: {ParameterCount} values, architecture '{Architecture}'";
    }
}
