using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;
using SkiaSharp;

namespace NetGen.Samples;

/// <summary>
/// Draws training curves with ScottPlot 5 into a PNG file: a title band above two panels, loss
/// per epoch on the left and accuracy per epoch on the right, each with its training and
/// validation series.
/// </summary>
internal static class TrainingPlot
{
    private const int Width = 1400;
    private const int Height = 560;
    private const float TitleBandHeight = 64f;
    private const float TitleFontSize = 20f;
    private const float SubtitleFontSize = 14f;

    // Sans-serif families tried in order. ScottPlot 5.1.59 with the SkiaSharp build that has no
    // fontconfig picks DejaVu Serif as its default on Debian, which reads poorly in a chart.
    private static readonly string[] SansSerifFamilies = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Segoe UI", "Helvetica", "Arial"];

    /// <summary>Renders the epochs' losses and accuracies and writes them to a PNG file.</summary>
    /// <param name="path">PNG file to create or overwrite, in a folder that exists.</param>
    /// <param name="title">First title line, naming the network.</param>
    /// <param name="subtitle">Second, smaller title line, for example the settings and the test accuracy.</param>
    /// <param name="epochs">One report per epoch, in order; at least one.</param>
    /// <exception cref="ArgumentException"><paramref name="epochs"/> is empty.</exception>
    public static void Save(string path, string title, string subtitle, IReadOnlyList<EpochReport> epochs)
    {
        if (epochs.Count == 0)
        {
            throw new ArgumentException("There are no epochs to plot. Train at least one epoch.", nameof(epochs));
        }

        double[] epochNumbers = Enumerable.Range(1, epochs.Count).Select(number => (double)number).ToArray();
        bool hasValidation = epochs.Any(epoch => !double.IsNaN(epoch.ValidationLoss));

        string fontFamily = ChooseFontFamily();
        var multiplot = new Multiplot { Layout = new ScottPlot.MultiplotLayouts.Columns() };
        multiplot.AddPlots(2);
        Plot lossPlot = multiplot.GetPlot(0);
        Plot accuracyPlot = multiplot.GetPlot(1);

        DrawPanel(lossPlot, fontFamily, "Loss per epoch", "Mean loss per sample", epochNumbers,
            epochs.Select(epoch => epoch.TrainingLoss).ToArray(),
            hasValidation ? epochs.Select(epoch => epoch.ValidationLoss).ToArray() : null,
            Alignment.UpperRight);
        DrawPanel(accuracyPlot, fontFamily, "Accuracy per epoch", "Accuracy (%)", epochNumbers,
            epochs.Select(epoch => 100 * epoch.TrainingAccuracy).ToArray(),
            hasValidation ? epochs.Select(epoch => 100 * epoch.ValidationAccuracy).ToArray() : null,
            Alignment.LowerRight);

        using var surface = SKSurface.Create(new SKImageInfo(Width, Height))
            ?? throw new InvalidOperationException($"SkiaSharp could not create a {Width}×{Height} drawing surface for the plot.");
        SKCanvas canvas = surface.Canvas;

        // Multiplot.Render in ScottPlot 5.1.59 lays the panels out from the canvas origin and
        // ignores the rectangle's offset, so the canvas is moved below the title band instead.
        // It also clears the whole canvas, so the title is drawn afterwards.
        canvas.Translate(0, TitleBandHeight);
        multiplot.Render(canvas, new PixelRect(width: Width, height: Height - TitleBandHeight));
        canvas.ResetMatrix();
        using (var background = new SKPaint { Color = SKColors.White })
        {
            canvas.DrawRect(0, 0, Width, TitleBandHeight, background);
        }

        DrawTitle(canvas, fontFamily, title, subtitle);

        using SKImage image = surface.Snapshot();
        using SKData png = image.Encode(SKEncodedImageFormat.Png, quality: 100);
        using FileStream file = CreatePlotFile(path);
        png.SaveTo(file);
    }

    /// <summary>Creates the PNG file, or throws an <see cref="IOException"/> that names the file and the fix.</summary>
    private static FileStream CreatePlotFile(string path)
    {
        try
        {
            return File.Create(path);
        }
        catch (Exception error) when (error is UnauthorizedAccessException or IOException)
        {
            throw new IOException(
                $"The plot could not be written to '{path}': {error.Message} The weights are saved; pass --plot with a file in a writable folder to keep the curves next time.",
                error);
        }
    }

    private static void DrawPanel(Plot plot, string fontFamily, string title, string yLabel, double[] epochNumbers, double[] training, double[]? validation, Alignment legendCorner)
    {
        Color[] colors = new ScottPlot.Palettes.Category10().Colors;

        ScottPlot.Plottables.Scatter trainingLine = plot.Add.Scatter(epochNumbers, training, colors[0]);
        trainingLine.LegendText = "Training";
        trainingLine.LineWidth = 2;
        trainingLine.MarkerSize = 6;

        if (validation is not null)
        {
            ScottPlot.Plottables.Scatter validationLine = plot.Add.Scatter(epochNumbers, validation, colors[1]);
            validationLine.LegendText = "Validation";
            validationLine.LineWidth = 2;
            validationLine.MarkerSize = 6;
            validationLine.LinePattern = LinePattern.Dashed;
        }

        plot.Font.Set(fontFamily);
        plot.Title(title);
        plot.XLabel("Epoch");
        plot.YLabel(yLabel);
        plot.ShowLegend(legendCorner);

        // Epochs are whole numbers, so the axis shows no ticks such as 2.5.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
    }

    private static void DrawTitle(SKCanvas canvas, string fontFamily, string title, string subtitle)
    {
        using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        // ScottPlot may cache the typefaces it returns, so they are not disposed here.
        SKTypeface bold = Fonts.GetTypeface(fontFamily, bold: true, italic: false);
        SKTypeface regular = Fonts.GetTypeface(fontFamily, bold: false, italic: false);
        using var titleFont = new SKFont(bold, TitleFontSize);
        using var subtitleFont = new SKFont(regular, SubtitleFontSize);

        ShrinkToFit(titleFont, title);
        ShrinkToFit(subtitleFont, subtitle);

        float center = Width / 2f;
        canvas.DrawText(title, center, 28f, SKTextAlign.Center, titleFont, paint);
        paint.Color = new SKColor(0x44, 0x44, 0x44);
        canvas.DrawText(subtitle, center, 52f, SKTextAlign.Center, subtitleFont, paint);
    }

    /// <summary>Reduces the font size so that the text fits the image width less a margin on each side.</summary>
    private static void ShrinkToFit(SKFont font, string text)
    {
        const float Margin = 16f;
        float width = font.MeasureText(text);
        float available = Width - (2 * Margin);
        if (width > available)
        {
            font.Size *= available / width;
        }
    }

    /// <summary>
    /// Returns the first installed family of <see cref="SansSerifFamilies"/>, or ScottPlot's default
    /// when none is installed. Fonts.GetTypeface returns the default typeface for a missing family
    /// instead of null, so a family counts as installed when the typeface has its name.
    /// </summary>
    /// <remarks>
    /// NOTE: SkiaSharp's Linux build without fontconfig reads the fonts in the system font folders
    /// (the Debian packages fonts-dejavu-core and fonts-dejavu-extra here). On a machine with no
    /// font installed the PNG is drawn without any text.
    /// </remarks>
    private static string ChooseFontFamily()
    {
        foreach (string family in SansSerifFamilies)
        {
            SKTypeface typeface = Fonts.GetTypeface(family, bold: false, italic: false);
            if (string.Equals(typeface.FamilyName, family, StringComparison.OrdinalIgnoreCase))
            {
                return family;
            }
        }

        return Fonts.Default;
    }
}
