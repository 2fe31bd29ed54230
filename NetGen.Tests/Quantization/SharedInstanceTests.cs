using System;
using System.Threading;
using NetGen.Quantization;
using NetGen.Tests.Sparse;

namespace NetGen.Tests.Quantization;

/// <summary>
/// Single-sample calls on one Quantized or SparseModel instance from two threads at once. The
/// calls share the instance's buffers, so an overlapping call must throw rather than return
/// another call's half-computed outputs. Each thread compares every output it gets with the
/// output the same instance gave for that input alone.
/// </summary>
public sealed class SharedInstanceTests
{
    private const int CallsPerThread = 20_000;

    [Fact]
    public void Quantized_OverlappingCalls_NeverMix()
    {
        QuantizedProbe.Quantized model = QuantizedProbe.Quantized.CreateDynamic(new QuantizedProbe(3));
        float[][] inputs = [Input(QuantizedProbe.InputSize, 1), Input(QuantizedProbe.InputSize, 2)];
        float[][] expected = Array.ConvertAll(inputs, input => Outputs(model.Forward, input, QuantizedProbe.OutputSize));

        (int wrong, _) = Hammer(index => Outputs(model.Forward, inputs[index], QuantizedProbe.OutputSize), expected);

        Assert.Equal(0, wrong);
        Assert.Equal(expected[0], Outputs(model.Forward, inputs[0], QuantizedProbe.OutputSize));
    }

    [Fact]
    public void SparseModel_OverlappingCalls_NeverMix()
    {
        var model = new SparseTestMlp.SparseModel(new SparseTestMlp(3), maxBatchSize: 1);
        float[][] inputs = [Input(SparseTestMlp.InputSize, 1), Input(SparseTestMlp.InputSize, 2)];
        float[][] expected = Array.ConvertAll(inputs, input => Outputs(model.Forward, input, SparseTestMlp.OutputSize));

        (int wrong, _) = Hammer(index => Outputs(model.Forward, inputs[index], SparseTestMlp.OutputSize), expected);

        Assert.Equal(0, wrong);
    }

    [Fact]
    public void Quantized_LoadDuringForward_NeverMixes()
    {
        // Thread 1 loads model A's file and model B's file in turn while thread 0 runs Forward, so
        // every output that is not rejected must be A's or B's, never a mix of their layers.
        QuantizedProbe.Quantized model = QuantizedProbe.Quantized.CreateDynamic(new QuantizedProbe(3));
        QuantizedProbe.Quantized other = QuantizedProbe.Quantized.CreateDynamic(new QuantizedProbe(4));
        byte[][] files = [Saved(model), Saved(other)];
        float[] input = Input(QuantizedProbe.InputSize, 1);
        float[][] allowed = [Outputs(model.Forward, input, QuantizedProbe.OutputSize), Outputs(other.Forward, input, QuantizedProbe.OutputSize)];
        int wrong = 0, loads = 0;

        _ = Hammer(
            thread =>
            {
                if (thread == 1)
                {
                    model.Load(new System.IO.MemoryStream(files[Interlocked.Increment(ref loads) % 2]));
                    return allowed[0];
                }

                float[] output = Outputs(model.Forward, input, QuantizedProbe.OutputSize);
                if (!output.AsSpan().SequenceEqual(allowed[0]) && !output.AsSpan().SequenceEqual(allowed[1]))
                {
                    Interlocked.Increment(ref wrong);
                }

                return allowed[0];
            },
            [allowed[0], allowed[0]]);

        Assert.Equal(0, wrong);
    }

    private static byte[] Saved(QuantizedProbe.Quantized model)
    {
        using var stream = new System.IO.MemoryStream();
        model.Save(stream);
        return stream.ToArray();
    }

    [Fact]
    public void Quantized_FailedCall_ReleasesInstance()
    {
        QuantizedProbe.Quantized model = QuantizedProbe.Quantized.CreateDynamic(new QuantizedProbe(3));
        float[] bad = Input(QuantizedProbe.InputSize, 1);
        bad[0] = float.NaN;

        Assert.Throws<ArgumentException>(() => model.Forward(bad, new float[QuantizedProbe.OutputSize]));

        model.Forward(Input(QuantizedProbe.InputSize, 1), new float[QuantizedProbe.OutputSize]);
    }

    /// <summary>Runs <paramref name="call"/>(t) on threads t = 0 and 1 at once and counts outputs unequal to expected[t] and rejected calls.</summary>
    private static (int Wrong, int Rejected) Hammer(Func<int, float[]> call, float[][] expected)
    {
        int wrong = 0, rejected = 0;
        using var start = new Barrier(2);
        var threads = new Thread[2];
        for (int t = 0; t < threads.Length; t++)
        {
            int thread = t;
            threads[t] = new Thread(() =>
            {
                start.SignalAndWait();
                for (int i = 0; i < CallsPerThread; i++)
                {
                    try
                    {
                        if (!call(thread).AsSpan().SequenceEqual(expected[thread]))
                        {
                            Interlocked.Increment(ref wrong);
                        }
                    }
                    catch (InvalidOperationException)
                    {
                        Interlocked.Increment(ref rejected);
                    }
                }
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        return (wrong, rejected);
    }

    private static float[] Outputs(SpanAction forward, float[] input, int outputs)
    {
        var output = new float[outputs];
        forward(input, output);
        return output;
    }

    private delegate void SpanAction(ReadOnlySpan<float> input, Span<float> output);

    private static float[] Input(int size, int seed)
    {
        var random = new Random(seed);
        var values = new float[size];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 0.5);
        }

        return values;
    }
}
