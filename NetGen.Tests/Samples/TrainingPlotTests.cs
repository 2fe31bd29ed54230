using System;
using System.IO;
using NetGen.Samples;

namespace NetGen.Tests.Samples;

public class TrainingPlotTests
{
    private static readonly EpochReport[] Epochs =
    [
        new(1, 2, 0.9, 0.6, double.NaN, double.NaN, 1000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)),
        new(2, 2, 0.5, 0.8, double.NaN, double.NaN, 1000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)),
    ];

    [Fact]
    public void Save_WritesPng()
    {
        string path = Path.Combine(Path.GetTempPath(), $"netgen-plot-{Guid.NewGuid():N}.png");
        try
        {
            TrainingPlot.Save(path, "Title", "Subtitle", Epochs);

            byte[] bytes = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void UnwritablePath_NamesFileAndFix()
    {
        string path = Path.Combine(Path.GetTempPath(), $"netgen-missing-{Guid.NewGuid():N}", "plot.png");

        IOException error = Assert.Throws<IOException>(() => TrainingPlot.Save(path, "Title", "Subtitle", Epochs));

        Assert.Contains($"The plot could not be written to '{path}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("pass --plot with a file in a writable folder", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(error.InnerException);
    }
}
