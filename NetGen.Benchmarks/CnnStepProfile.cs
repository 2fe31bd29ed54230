using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using NetGen.Kernels;

namespace NetGen.Benchmarks;

/// <summary>
/// Splits one <see cref="FashionCnn"/> training step at batch 128 into its kernel calls and prints
/// the median thread CPU time of each, so that work on the step starts from measured costs.
/// </summary>
/// <remarks>
/// Run with <c>dotnet run -c Release --project NetGen.Benchmarks -- cnn-profile</c>. The stages
/// repeat, in order and with the same shapes, the calls of the generated <c>TrainStep</c> (see the
/// generated FashionCnn source under obj/ with <c>-p:EmitCompilerGeneratedFiles=true</c>), on
/// buffers of their own. The last line times the generated <c>TrainStep</c> itself, so a gap
/// between it and the sum of the stages shows a call that the list misses.
/// </remarks>
internal static class CnnStepProfile
{
    private const int Batch = 128;
    private const int Rounds = 40;
    private const int Classes = 10;

    /// <summary>Runs the profile and prints one line per stage; returns the process exit code.</summary>
    public static int Run()
    {
        var random = new Random(3);
        float[] Fill(int length)
        {
            var values = new float[length];
            for (int k = 0; k < length; k++)
            {
                values[k] = (random.NextSingle() * 2) - 1;
            }

            return values;
        }

        var conv1 = new ConvGeometry(1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        var pool3 = new PoolGeometry(32, 28, 28, 2, 2, 2, 2, 0, 0);
        var conv4 = new ConvGeometry(32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        var pool6 = new PoolGeometry(64, 14, 14, 2, 2, 2, 2, 0, 0);
        const int Dense8In = 64 * 7 * 7, Dense8Out = 128, Dense10In = 128;

        float[] x = Fill(Batch * 784);
        float[] targets = new float[Batch * Classes];
        for (int s = 0; s < Batch; s++)
        {
            targets[(s * Classes) + random.Next(Classes)] = 1;
        }

        float[] w1 = Fill(conv1.WeightLength), w4 = Fill(conv4.WeightLength);
        float[] gamma2 = new float[32], beta2 = new float[32], gamma5 = new float[64], beta5 = new float[64];
        Array.Fill(gamma2, 1f);
        Array.Fill(gamma5, 1f);
        float[] w8 = Fill(Dense8Out * Dense8In), b8 = new float[Dense8Out], w10 = Fill(Classes * Dense10In), b10 = new float[Classes];
        for (int k = 0; k < w8.Length; k++)
        {
            w8[k] *= 0.02f;
        }

        float[] parameters = Fill(w1.Length + w4.Length + w8.Length + w10.Length + 200);
        float[] gradients = new float[parameters.Length];
        float[] dw1 = new float[w1.Length], dw4 = new float[w4.Length], dw8 = new float[w8.Length], db8 = new float[b8.Length];
        float[] dw10 = new float[w10.Length], db10 = new float[b10.Length];
        float[] dgamma2 = new float[32], dbeta2 = new float[32], dgamma5 = new float[64], dbeta5 = new float[64];
        float[] mean2 = new float[32], invStd2 = new float[32], mean5 = new float[64], invStd5 = new float[64];

        float[] a1 = new float[Batch * conv1.OutputLength], a2 = new float[a1.Length], xhat2 = new float[a1.Length];
        float[] a3 = new float[Batch * pool3.OutputLength];
        int[] argmax3 = new int[a3.Length];
        float[] a4 = new float[Batch * conv4.OutputLength], a5 = new float[a4.Length], xhat5 = new float[a4.Length];
        float[] a6 = new float[Batch * pool6.OutputLength];
        int[] argmax6 = new int[a6.Length];
        float[] a8 = new float[Batch * Dense8Out], a9 = new float[a8.Length], mask9 = new float[a8.Length];
        float[] a10 = new float[Batch * Classes], d10 = new float[a10.Length];
        float[] deltaA = new float[Batch * 32 * 784], deltaB = new float[deltaA.Length];
        float[] scratch = new float[Math.Max(conv1.ScratchLength, conv4.ScratchLength)];
        var dropoutRandom = new DropoutRandom(1);
        var optimizer = new Adam(1e-3f);

        Span<float> D(float[] buffer, int length) => buffer.AsSpan(0, length);
        var stages = new List<(string Name, Action Call)>
        {
            ("zero gradients", () => gradients.AsSpan().Clear()),
            ("conv1 forward", () => ConvKernels.Forward(x, w1, default, a1, scratch, Batch, conv1)),
            ("bn2 + relu forward", () => NormKernels.BatchNormReluTrainForward(a1, gamma2, beta2, a2, xhat2, mean2, invStd2, Batch, 32, 784, 1e-5f)),
            ("pool3 forward", () => PoolKernels.MaxForward(a2, a3, argmax3, Batch, pool3)),
            ("conv4 forward", () => ConvKernels.Forward(a3, w4, default, a4, scratch, Batch, conv4)),
            ("bn5 + relu forward", () => NormKernels.BatchNormReluTrainForward(a4, gamma5, beta5, a5, xhat5, mean5, invStd5, Batch, 64, 196, 1e-5f)),
            ("pool6 forward", () => PoolKernels.MaxForward(a5, a6, argmax6, Batch, pool6)),
            ("dense8 forward + relu", () =>
            {
                DenseKernels.Forward(a6, w8, b8, a8, Batch, Dense8In, Dense8Out);
                ActivationKernels.Relu(a8);
            }),
            ("dropout9 forward", () =>
            {
                a8.CopyTo(a9.AsSpan());
                DropoutKernels.Forward(a9, mask9, 0.25f, ref dropoutRandom);
            }),
            ("dense10 forward", () => DenseKernels.Forward(a9, w10, b10, a10, Batch, Dense10In, Classes)),
            ("loss", () => LossKernels.SoftmaxCrossEntropy(a10, targets, d10, Batch, Classes)),
            ("dense10 backward", () =>
            {
                DenseKernels.AccumulateGradients(d10, a9, dw10, db10, Batch, Dense10In, Classes);
                DenseKernels.BackwardInput(d10, w10, D(deltaB, Batch * Dense10In), Batch, Dense10In, Classes);
                DropoutKernels.Backward(mask9, D(deltaB, Batch * Dense10In));
                ActivationKernels.ReluBackward(a8, D(deltaB, Batch * Dense10In));
            }),
            ("dense8 weight gradient", () => DenseKernels.AccumulateGradients(D(deltaB, Batch * Dense8Out), a6, dw8, db8, Batch, Dense8In, Dense8Out)),
            ("dense8 backward input", () => DenseKernels.BackwardInput(D(deltaB, Batch * Dense8Out), w8, D(deltaA, a6.Length), Batch, Dense8In, Dense8Out)),
            ("pool6 backward", () => PoolKernels.MaxBackward(D(deltaA, a6.Length), argmax6, D(deltaB, a5.Length), Batch, pool6)),
            ("bn5 + relu backward", () => NormKernels.BatchNormReluBackward(D(deltaB, a5.Length), xhat5, gamma5, beta5, invStd5, D(deltaA, a4.Length), dgamma5, dbeta5, Batch, 64, 196)),
            ("conv4 weight gradient", () => ConvKernels.AccumulateGradients(D(deltaA, a4.Length), a3, dw4, default, scratch, Batch, conv4)),
            ("conv4 backward input", () => ConvKernels.BackwardInput(D(deltaA, a4.Length), w4, D(deltaB, a3.Length), scratch, Batch, conv4)),
            ("pool3 backward", () => PoolKernels.MaxBackward(D(deltaB, a3.Length), argmax3, D(deltaA, a2.Length), Batch, pool3)),
            ("bn2 + relu backward", () => NormKernels.BatchNormReluBackward(D(deltaA, a2.Length), xhat2, gamma2, beta2, invStd2, D(deltaB, a1.Length), dgamma2, dbeta2, Batch, 32, 784)),
            ("conv1 weight gradient", () => ConvKernels.AccumulateGradients(D(deltaB, a1.Length), x, dw1, default, scratch, Batch, conv1)),
            ("adam step", () => optimizer.Step(parameters, gradients)),
        };

        var network = new FashionCnn(seed: 1);
        Workspace workspace = network.CreateWorkspace(Batch);
        var networkOptimizer = new Adam(1e-3f);
        stages.Add(("(generated TrainStep, whole)", () => network.TrainStep(x, targets, networkOptimizer, workspace)));

        // Tiered compilation recompiles hot methods in the background after about 30 calls, so
        // the warm-up runs 40 steps and pauses for the compiler before anything is timed.
        for (int round = 0; round < 40; round++)
        {
            foreach ((string _, Action call) in stages)
            {
                call();
            }
        }

        Thread.Sleep(500);
        var samples = new double[stages.Count, Rounds];
        for (int round = -3; round < Rounds; round++)
        {
            for (int s = 0; s < stages.Count; s++)
            {
                double start = ConvAlgorithmCpuTimes.CpuMicroseconds();
                stages[s].Call();
                double elapsed = ConvAlgorithmCpuTimes.CpuMicroseconds() - start;
                if (round >= 0)
                {
                    samples[s, round] = elapsed;
                }
            }
        }

        double total = 0;
        var row = new double[Rounds];
        for (int s = 0; s < stages.Count; s++)
        {
            for (int r = 0; r < Rounds; r++)
            {
                row[r] = samples[s, r];
            }

            Array.Sort(row);
            double median = row[Rounds / 2];
            bool whole = s == stages.Count - 1;
            if (!whole)
            {
                total += median;
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"sum of the stages",-30} {total / 1000,8:F2} ms"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{stages[s].Name,-30} {median / 1000,8:F2} ms"));
        }

        return 0;
    }
}
