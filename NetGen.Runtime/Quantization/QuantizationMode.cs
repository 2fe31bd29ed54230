namespace NetGen.Quantization
{
    /// <summary>How a quantized network chooses the quantization of each dense layer's input.</summary>
    public enum QuantizationMode
    {
        /// <summary>
        /// Static (post-training) quantization: every layer's input scale and zero point come from
        /// calibration data ahead of time, and activations stay uint8 between int8 layers.
        /// </summary>
        Static,

        /// <summary>
        /// Dynamic quantization: weights are int8 ahead of time, and each layer quantizes its fp32
        /// input per call, with the scale and zero point from that call's minimum and maximum.
        /// </summary>
        Dynamic,
    }
}
