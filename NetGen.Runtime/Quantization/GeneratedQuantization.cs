using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;

namespace NetGen.Quantization
{
    /// <summary>
    /// The quantization steps of generated int8 networks, with errors that name the layer, the
    /// sample and the argument instead of an index into an internal buffer. Not meant for user
    /// code; its members may change between versions together with the generator.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static class GeneratedQuantization
    {
        /// <summary>Quantizes the input of an int8 layer with its calibrated parameters, as <see cref="Quantizer.Quantize(ReadOnlySpan{float}, QuantizationParameters, Span{byte})"/>.</summary>
        /// <param name="values">The layer's fp32 inputs, [batch, valuesPerSample].</param>
        /// <param name="parameters">The layer's input parameters.</param>
        /// <param name="destination">The quantized inputs, as long as <paramref name="values"/>.</param>
        /// <param name="source">Where the values come from, for the error message.</param>
        /// <exception cref="ArgumentException">A value is NaN.</exception>
        public static void Quantize(ReadOnlySpan<float> values, QuantizationParameters parameters, Span<byte> destination, in LayerInputSource source)
        {
            int index = Quantizer.QuantizeCore(values, parameters, ref MemoryMarshal.GetReference(destination));
            if (index >= 0)
            {
                ThrowNotFinite(values[index], index, source);
            }
        }

        /// <summary>Runs a dynamically quantized layer, as <see cref="QuantizedDense.ForwardDynamic"/>.</summary>
        /// <param name="layer">The int8 layer.</param>
        /// <param name="x">Inputs, [batch, inputs].</param>
        /// <param name="quantizedX">Scratch for the quantized inputs, [batch, inputs].</param>
        /// <param name="accumulators">Scratch for the accumulators, [batch, outputs].</param>
        /// <param name="relu">Whether to apply ReLU.</param>
        /// <param name="y">Outputs, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples.</param>
        /// <param name="source">Where <paramref name="x"/> comes from, for the error message.</param>
        /// <exception cref="ArgumentException">A value of <paramref name="x"/> is NaN or infinite.</exception>
        public static void ForwardDynamic(QuantizedDense layer, ReadOnlySpan<float> x, Span<byte> quantizedX, Span<int> accumulators, bool relu, Span<float> y, int batch, in LayerInputSource source)
        {
            ArgumentNullException.ThrowIfNull(layer);
            int index = Quantizer.FindRangeCore(x, out float minimum, out float maximum);
            if (index >= 0)
            {
                ThrowNotFinite(x[index], index, source);
            }

            layer.RunDynamic(x, QuantizationParameters.FromRange(minimum, maximum, QuantizedRange.UInt8), quantizedX, accumulators, relu, y, batch);
        }

        /// <summary>Adds a calibration batch of an int8 layer's inputs to its observer, as <see cref="QuantizationObserver.Observe"/>.</summary>
        /// <param name="observer">The layer's observer.</param>
        /// <param name="values">The layer's fp32 inputs for a batch of calibration samples.</param>
        /// <param name="source">Where <paramref name="values"/> come from, for the error message.</param>
        /// <exception cref="ArgumentException">A value is NaN or infinite; the observer then records nothing of this batch.</exception>
        public static void Observe(QuantizationObserver observer, ReadOnlySpan<float> values, in LayerInputSource source)
        {
            ArgumentNullException.ThrowIfNull(observer);
            int index = Quantizer.FindRangeCore(values, out _, out _);
            if (index >= 0)
            {
                ThrowNotFinite(values[index], index, source);
            }

            observer.Observe(values);
        }

        /// <summary>
        /// Checks that the observer that Calibrate's createObserver returned for int8 layer
        /// <paramref name="index"/> has seen no values and serves no earlier layer: a shared or used
        /// observer would mix the ranges of several layers or calibration runs.
        /// </summary>
        /// <param name="observers">The observers created so far, one per int8 layer.</param>
        /// <param name="index">The int8 layer whose observer to check.</param>
        /// <param name="layerNames">The names of the int8 layers, such as "Dense1", for the message.</param>
        /// <exception cref="InvalidOperationException">The observer has seen values, or an earlier layer has it too.</exception>
        public static void CheckNewObserver(QuantizationObserver[] observers, int index, string[] layerNames)
        {
            ArgumentNullException.ThrowIfNull(observers);
            ArgumentNullException.ThrowIfNull(layerNames);
            QuantizationObserver observer = observers[index];
            if (observer.Count != 0)
            {
                throw new InvalidOperationException(
                    $"createObserver returned an observer that has already seen {observer.Count} values, for the int8 layer '{layerNames[index]}'. Return a new observer on every call.");
            }

            int earlier = Array.IndexOf(observers, observer, 0, index);
            if (earlier >= 0)
            {
                throw new InvalidOperationException(
                    $"createObserver returned the same observer for the int8 layers '{layerNames[earlier]}' and '{layerNames[index]}'. Return a new observer on every call, for example () => new MinMaxObserver().");
            }
        }

        /// <summary>Checks that a parameter view of the network that is being quantized contains finite values only.</summary>
        /// <param name="values">The view, such as the network's Dense1Weight.</param>
        /// <param name="layerName">The layer's name, such as "Dense1".</param>
        /// <param name="view">What the view holds: "Weight", "Bias", "RunningMean" or "RunningVar".</param>
        /// <exception cref="ArgumentException">A value is NaN or infinite; the message names the layer, the view and the index.</exception>
        public static void CheckFinite(ReadOnlySpan<float> values, string layerName, string view)
        {
            int index = Quantizer.FindRangeCore(values, out _, out _);
            if (index >= 0)
            {
                throw new ArgumentException(
                    $"Value {index} of {layerName}{view} is {values[index].ToString(CultureInfo.InvariantCulture)}, so the network cannot be quantized. " +
                    "A diverged training run leaves NaN or infinite parameters: train again with a smaller step size, or load weights saved before it diverged.",
                    "network");
            }
        }

        /// <summary>Checks that a statically quantized layer cannot overflow its int32 sums, as Calibrate needs.</summary>
        /// <param name="layer">The layer that Calibrate quantized.</param>
        /// <param name="layerName">The layer's name, such as "Dense1".</param>
        /// <exception cref="ArgumentException">A bias is too large for the layer's calibrated input range; the message names the layer and the output.</exception>
        public static void CheckStaticLayer(QuantizedDense layer, string layerName)
        {
            ArgumentNullException.ThrowIfNull(layer);
            if (layer.DescribeAccumulatorOverflow(layerName) is string overflow)
            {
                throw new ArgumentException(
                    $"Cannot calibrate: {overflow}. Calibrate on samples that cover the range of inputs the network meets, scale the inputs to a range near 1, or use CreateDynamic.",
                    "calibrationInputs");
            }
        }

        [DoesNotReturn]
        private static void ThrowNotFinite(float value, int index, in LayerInputSource source)
        {
            long sample = source.FirstSample + (index / source.ValuesPerSample);
            int position = index % source.ValuesPerSample;
            string text = value.ToString(CultureInfo.InvariantCulture);
            string message = source.IsNetworkInput
                ? $"Value {position} of sample {sample} in '{source.ArgumentName}' is {text}, but the int8 layer '{source.Layer}' needs finite inputs. Replace or remove that sample."
                : $"Value {position} of sample {sample} that reaches the int8 layer '{source.Layer}' is {text}, but quantization needs finite values. " +
                  $"The layers before it computed it from sample {sample} of '{source.ArgumentName}': check that sample, and the network's parameters for NaN or infinite values.";
            throw new ArgumentException(message, source.ArgumentName);
        }
    }

    /// <summary>Where the inputs of an int8 layer in a generated network come from, for error messages.</summary>
    /// <param name="Layer">The layer's name, such as "Dense1".</param>
    /// <param name="ValuesPerSample">The layer's inputs per sample.</param>
    /// <param name="IsNetworkInput">Whether the values are the network's inputs, rather than computed by earlier layers.</param>
    /// <param name="ArgumentName">The name of the argument that contains the network's inputs.</param>
    /// <param name="FirstSample">The index in that argument of the first sample in the values.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public readonly record struct LayerInputSource(string Layer, int ValuesPerSample, bool IsNetworkInput, string ArgumentName, int FirstSample = 0);
}
