using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using NetGen.Sparse;
using NetGen.Tests.Generator;

namespace NetGen.Tests.Sparse;

public class SparseDenseLayerTests
{
    // Relative to Σ|x·w| + |bias|: a float sum's rounding is a few ulps of that scale.
    private const double RelativeTolerance = 1e-5;

    [Theory]
    [InlineData(SparseFormat.Dense, 1, false)]
    [InlineData(SparseFormat.Csr, 3, false)]
    [InlineData(SparseFormat.Csr, 3, true)]
    [InlineData(SparseFormat.Csr, 19, false)]
    [InlineData(SparseFormat.Csr, 19, true)]
    [InlineData(SparseFormat.BlockCsr, 19, false)]
    [InlineData(SparseFormat.BlockCsr, 19, true)]
    [InlineData(SparseFormat.Dense, 19, true)]
    [InlineData(SparseFormat.BlockCsr, 1, true)]
    public void Forward_AnyFormatAndLayout_MatchesReference(SparseFormat format, int batch, bool inputFeatureMajor)
    {
        const int Inputs = 21, Outputs = 13;
        float[] w = SparseTestData.Matrix(Outputs, Inputs, SparseTestData.Pattern.EmptyRowsAndOneFullRow, seed: 1);
        float[] bias = SparseTestData.Matrix(1, Outputs, SparseTestData.Pattern.Dense, seed: 2);
        float[] x = SparseTestData.Matrix(batch, Inputs, SparseTestData.Pattern.Dense, seed: 3);
        double[] expected = SparseTestData.ReferenceForward(x, w, bias, batch, Inputs, Outputs);
        double[] scale = SparseTestData.ReferenceScale(x, w, bias, batch, Inputs, Outputs);

        var layer = new SparseDenseLayer(w, bias, Outputs, Inputs, format);
        float[] input = inputFeatureMajor ? SparseTestData.Transposed(x, batch, Inputs) : x;
        var y = new float[batch * Outputs];
        var scratch = new float[batch * Inputs];
        bool featureMajor = inputFeatureMajor;
        layer.Forward(input, y, batch, ref featureMajor, scratch);

        bool expectedLayout = batch == 1 ? inputFeatureMajor : format != SparseFormat.Dense && batch >= SparseCrossover.FeatureMajorMinBatch;
        Assert.Equal(expectedLayout, featureMajor);
        float[] batchMajor = featureMajor ? SparseTestData.Transposed(y, Outputs, batch) : y;
        for (int k = 0; k < expected.Length; k++)
        {
            Assert.True(Math.Abs(batchMajor[k] - expected[k]) <= RelativeTolerance * scale[k], $"entry {k}: {batchMajor[k]} against {expected[k]}");
        }
    }

    [Fact]
    public void ToBatchMajor_TransposesOnlyFeatureMajorValues()
    {
        float[] batchMajor = Enumerable.Range(0, 12).Select(v => (float)v).ToArray();
        float[] values = SparseTestData.Transposed(batchMajor, 3, 4);
        var scratch = new float[12];
        bool featureMajor = true;

        SparseDenseLayer.ToBatchMajor(values, batch: 3, features: 4, ref featureMajor, scratch);
        Assert.False(featureMajor);
        Assert.Equal(batchMajor, values);

        SparseDenseLayer.ToBatchMajor(values, batch: 3, features: 4, ref featureMajor, scratch);
        Assert.Equal(batchMajor, values);
    }

    [Fact]
    public void Forward_ShortScratch_ThrowsNamingLength()
    {
        var layer = new SparseDenseLayer(new float[6], new float[2], outputs: 2, inputs: 3, SparseFormat.Csr);
        bool featureMajor = false;
        var error = Assert.Throws<ArgumentException>(() => layer.Forward(new float[30], new float[20], 10, ref featureMajor, new float[29]));
        Assert.Equal("scratch", error.ParamName);
        Assert.Contains("30", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_UndefinedFormat_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SparseDenseLayer(new float[6], new float[2], 2, 3, (SparseFormat)7));
        Assert.Equal("format", error.ParamName);
    }

    [Theory]
    [InlineData(0.95, 0.70, 1, SparseFormat.Csr)]
    [InlineData(0.85, 0.50, 1, SparseFormat.Dense)]
    [InlineData(0.90, 0.90, 1, SparseFormat.BlockCsr)]
    [InlineData(0.90, 0.50, 128, SparseFormat.Csr)]
    [InlineData(0.50, 0.40, 128, SparseFormat.Dense)]
    public void Choose_FollowsCostModel(double sparsity, double blockSparsity, int batch, SparseFormat expected)
    {
        const int Rows = 256, Columns = 784;
        long total = Rows * Columns;
        long nonZeros = (long)Math.Round(total * (1 - sparsity));
        long stored = (long)Math.Round(total * (1 - blockSparsity));
        Assert.Equal(expected, SparseCrossover.Choose(Rows, Columns, nonZeros, stored, batch));
    }

    [Fact]
    public void Choose_AgreesWithShouldUseSparse()
    {
        const int Rows = 256, Columns = 784;
        foreach (int batch in new[] { 1, 8, 128 })
        {
            for (long nonZeros = 0; nonZeros <= Rows * Columns; nonZeros += 997)
            {
                // With blocks no better than dense, only CSR competes with dense.
                bool sparse = SparseCrossover.Choose(Rows, Columns, nonZeros, Rows * Columns, batch) != SparseFormat.Dense;
                Assert.Equal(SparseCrossover.ShouldUseSparse(Rows, Columns, nonZeros, batch), sparse);
            }
        }
    }

    [Fact]
    public void SparseModelName_TakenByUserMember_IsReported()
    {
        const string source = """
            using NetGen;
            [Network, SparseInference, Input(4), Dense(2)]
            public partial class Taken { public int SparseModel; }
            """;
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));
        Assert.Equal("NETGEN0008", diagnostic.Id);
        Assert.Contains("'SparseModel'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("public partial class Host { [Network, SparseInference, Input(4), Dense(2)] public partial class SparseModel; }", "the class name 'SparseModel'")]
    [InlineData("[Network, SparseInference, Input(4), Dense(2)] public partial class Net { private void RunSparseForward() { } }", "'RunSparseForward'")]
    public void SparseNames_TakenByUser_AreReported(string declaration, string named)
    {
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics("using NetGen;\n" + declaration));

        Assert.Equal("NETGEN0008", diagnostic.Id);
        Assert.Contains("declares " + named, diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void SparseModel_OnlyWithAttribute()
    {
        const string source = """
            using NetGen;
            [Network, Input(4), Dense(2)]
            public partial class Plain;
            [Network, SparseInference, Input(4), Dropout(0.5f), Dense(3, Activation.Softmax), Dropout(0.1f)]
            public partial class Marked;
            """;
        var (result, output) = GeneratorHarness.Run(source);
        string plain = result.GeneratedTrees.Single(t => t.FilePath.EndsWith("Plain.g.cs", StringComparison.Ordinal)).ToString();
        string marked = result.GeneratedTrees.Single(t => t.FilePath.EndsWith("Marked.g.cs", StringComparison.Ordinal)).ToString();

        Assert.DoesNotContain("class SparseModel", plain, StringComparison.Ordinal);
        Assert.Contains("class SparseModel", marked, StringComparison.Ordinal);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()));
    }
}
