using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using NetGen.Kernels;

namespace NetGen.Benchmarks
{
    // Convolution kernels with each algorithm on the layers of the two reference CNNs and a
    // depthwise layer, batch 32 as one training thread sees it. Run with:
    //   dotnet run -c Release --project NetGen.Benchmarks -- --filter '*ConvKernel*' --job short
    // The Default column runs the public kernels, which pick the algorithm that ConvKernels.ChooseAlgorithm
    // documents, and the other two force one algorithm; the direct one needs stride 1.

    /// <summary>A convolution layer as a benchmark parameter.</summary>
    public sealed record ConvShape(string Name, ConvGeometry Geometry)
    {
        /// <inheritdoc/>
        public override string ToString() => Name;
    }

    /// <summary><see cref="ConvKernels"/> forward, backward-input and weight-gradient passes per algorithm.</summary>
    [MemoryDiagnoser]
    public class ConvKernelBenchmarks
    {
        private const int Batch = 32;
        private float[] _x = [];
        private float[] _w = [];
        private float[] _bias = [];
        private float[] _y = [];
        private float[] _dx = [];
        private float[] _dw = [];
        private float[] _dbias = [];
        private float[] _scratch = [];
        private ConvGeometry _geometry;

        /// <summary>The layer.</summary>
        [ParamsSource(nameof(Shapes))]
        public ConvShape Shape { get; set; } = new("none", new ConvGeometry(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1));

        /// <summary>The algorithm: "Default" for the kernels' own choice, else "Im2Col" or "Direct".</summary>
        [Params("Default", "Im2Col", "Direct")]
        public string Algorithm { get; set; } = "Default";

        /// <summary>The Fashion-MNIST CNN's two convolutions, LeNet-5's two, and a depthwise 3×3.</summary>
        public static IEnumerable<ConvShape> Shapes() =>
        [
            new("Fashion1 1x28x28>32 3x3 same", new ConvGeometry(1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            new("Fashion2 32x14x14>64 3x3 same", new ConvGeometry(32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            new("LeNet1 1x28x28>6 5x5", new ConvGeometry(1, 28, 28, 6, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1)),
            new("LeNet2 6x12x12>16 5x5", new ConvGeometry(6, 12, 12, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1)),
            new("Depthwise 32x14x14 3x3 same", new ConvGeometry(32, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 32)),
        ];

        /// <summary>Fills the buffers from a fixed seed.</summary>
        [GlobalSetup]
        public void Setup()
        {
            _geometry = Shape.Geometry;
            var random = new Random(42);
            float[] Fill(int length)
            {
                var values = new float[length];
                for (int k = 0; k < length; k++)
                {
                    values[k] = (float)(random.NextDouble() * 2 - 1);
                }

                return values;
            }

            _x = Fill(Batch * _geometry.InputLength);
            _w = Fill(_geometry.WeightLength);
            _bias = Fill(_geometry.OutChannels);
            _y = Fill(Batch * _geometry.OutputLength);
            _dx = new float[_x.Length];
            _dw = new float[_w.Length];
            _dbias = new float[_bias.Length];
            _scratch = new float[Math.Max(ConvKernels.Im2ColScratchLength(_geometry), ConvKernels.DirectScratchLength(_geometry))];
        }

        /// <summary>y = conv(x, w) + bias.</summary>
        [Benchmark]
        public void Forward()
        {
            if (Algorithm == "Default")
            {
                ConvKernels.Forward(_x, _w, _bias, _y, _scratch, Batch, _geometry);
            }
            else
            {
                ConvKernels.ForwardWith(Forced, _x, _w, _bias, _y, _scratch, Batch, _geometry);
            }
        }

        /// <summary>dx = convᵀ(dy, w).</summary>
        [Benchmark]
        public void BackwardInput()
        {
            if (Algorithm == "Default")
            {
                ConvKernels.BackwardInput(_y, _w, _dx, _scratch, Batch, _geometry);
            }
            else
            {
                ConvKernels.BackwardInputWith(Forced, _y, _w, _dx, _scratch, Batch, _geometry);
            }
        }

        /// <summary>dw += dy ⋆ x and dbias += Σ dy.</summary>
        [Benchmark]
        public void AccumulateGradients()
        {
            if (Algorithm == "Default")
            {
                ConvKernels.AccumulateGradients(_y, _x, _dw, _dbias, _scratch, Batch, _geometry);
            }
            else
            {
                ConvKernels.AccumulateGradientsWith(Forced, _y, _x, _dw, _dbias, _scratch, Batch, _geometry);
            }
        }

        private ConvAlgorithm Forced => Algorithm == "Direct" ? ConvAlgorithm.Direct : ConvAlgorithm.Im2Col;
    }
}
